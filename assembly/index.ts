// The device ABI: the only door into the agent. Integers and pointers only; every function here
// is a thin call into the folders below. Names are a contract with firmware code and the tests.
import { IO_WINDOW_BYTES } from "./limits";

// The I/O window: the host writes inputs here and reads outputs from here.
const ioWindow: usize = memory.data(IO_WINDOW_BYTES, 16);

export function io_ptr(): usize {
  return ioWindow;
}

export function io_len(): u32 {
  return IO_WINDOW_BYTES;
}

// ---- crypto test surface (also used by the host verifier) ----

// ---- update agent ----
