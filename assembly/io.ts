// The I/O window: the one region through which the host passes data to and from the agent. Its
// own module so the ABI (index.ts) and the link layer (link/) name the same bytes.
import { IO_WINDOW_BYTES } from "./limits";

export const ioWindow: usize = memory.data(IO_WINDOW_BYTES, 16);
