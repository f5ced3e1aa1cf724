// airlock.link.DeviceInfo (proto/device_info.proto): GetRunning answers what the device runs, from
// the same boot info the firmware's boot_info() reads: slot, trial, root and targets versions,
// pending, and each target of the running manifest. The boot info is written into the receive
// frame's area (the request, an Empty, is no longer needed) and the answer is built where the
// BundledUpdate answers are: the link still costs no RAM of its own.
import { OK } from "../status";
import { LINK_RX_FRAME_AT, LINK_TX_FRAME_AT, MAX_TARGET_NAME } from "../limits";
import { ioWindow } from "../io";
import { requireBooted } from "../boot/boot";
import { writeBootInfo } from "../boot/info";
import { pbBegin, pbUint, pbBytes, pbLength, pbOverflow, pbNestedBegin, pbNestedEnd } from "./pb";
import { sendResponse, unknownMethod } from "./rpc";
import { count, COUNTER_TX_DROPPED } from "./counters";
import { PW_OK, PW_FAILED_PRECONDITION, PW_INTERNAL, PW_UNAVAILABLE } from "./status";
import { updateState, STATE_INACTIVE, STATE_TRANSFERRING, STATE_FINISHED } from "../update/service";
import { METHOD_GET_RUNNING } from "./ids";

const info: usize = ioWindow + LINK_RX_FRAME_AT;
const out: usize = ioWindow + LINK_TX_FRAME_AT;
// Within one RpcPacket (LINK_TX_PACKET_BYTES) with its other fields.
const OUT_BYTES: u32 = 480;
const HEADER_BYTES: u32 = 24;
const ENTRY_BYTES: u32 = <u32>MAX_TARGET_NAME + 40;

function nameLength(at: usize): u32 {
  let n: u32 = 0;
  while (n < <u32>MAX_TARGET_NAME && load<u8>(at + n) != 0) n++;
  return n;
}

function getRunning(): void {
  if (requireBooted() != OK) {
    sendResponse(PW_UNAVAILABLE, 0, 0); // the firmware has not called boot() yet
    return;
  }
  // Verify and install advance over many ticks with the trusted root and the current manifest
  // loaded; reading the boot info reloads both, so it waits until the update is done.
  const s = updateState();
  if (s != STATE_INACTIVE && s != STATE_TRANSFERRING && s != STATE_FINISHED) {
    sendResponse(PW_FAILED_PRECONDITION, 0, 0);
    return;
  }
  if (writeBootInfo(info) != OK) {
    sendResponse(PW_INTERNAL, 0, 0); // a booted device's root and manifest always load
    return;
  }
  pbBegin(out, OUT_BYTES);
  pbUint(1, <u64>load<u32>(info), true);
  pbUint(2, <u64>load<u32>(info + 4));
  pbUint(3, <u64>load<u32>(info + 8));
  pbUint(4, <u64>load<u32>(info + 12), true);
  pbUint(5, <u64>load<u32>(info + 20));
  const targets = load<u32>(info + 16);
  for (let t: u32 = 0; t < targets; t++) {
    const e = info + HEADER_BYTES + t * ENTRY_BYTES;
    if (load<u32>(e + MAX_TARGET_NAME) == 0) continue; // not in the running manifest
    const mark = pbNestedBegin(6);
    pbBytes(1, e, nameLength(e));
    pbUint(2, <u64>load<u32>(e + MAX_TARGET_NAME + 4), true);
    pbBytes(3, e + MAX_TARGET_NAME + 8, 32);
    pbNestedEnd(mark);
  }
  if (pbOverflow) {
    count(COUNTER_TX_DROPPED);
    return;
  }
  sendResponse(PW_OK, out, pbLength());
}

/** Handles one unary DeviceInfo request. */
export function deviceInfoCall(method: u32): void {
  if (method == METHOD_GET_RUNNING) getRunning();
  else unknownMethod();
}
