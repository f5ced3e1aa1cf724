// The link variant's ABI: bytes from the UART go in through the I/O window (link_rx), frames to
// send go out through the one import link.tx(ptr, len), and time comes from the main loop
// (link_tick). The main loop also keeps calling update_poll: verify and apply never run inside
// a frame handler. The link lends the I/O window (limits.ts, LINK_*): a firmware that uses the
// link does not pass other data through the window while frames may be arriving.
import { OK, ERR_IO_RANGE } from "../status";
import { LINK_RX_BYTES } from "../limits";
import { ioWindow } from "../io";
import { installedThisRun } from "../update/service";
import { hdlcReceive, hdlcReset, rxAddress, rxPayload, rxPayloadLen } from "./hdlc";
import { rpcPacket, rpcReset, RPC_ADDRESS } from "./rpc";
import { transferTick, transferReset } from "./transfer";
import { count, copyCounters, COUNTERS, COUNTER_OTHER_ADDRESS } from "./counters";

function onFrame(): void {
  if (rxAddress != RPC_ADDRESS) {
    count(COUNTER_OTHER_ADDRESS);
    return;
  }
  rpcPacket(rxPayload, rxPayloadLen);
}

/** Feeds len bytes received from the wire, placed at the start of the I/O window. */
export function link_rx(len: u32): i32 {
  if (len > <u32>LINK_RX_BYTES) return ERR_IO_RANGE;
  hdlcReceive(ioWindow, len, onFrame);
  return OK;
}

/**
 * Time passed: elapsedMs since the last call (the transfer server's timeout). Returns 1 when an
 * update was installed in this run and the device should reboot into it, else 0.
 */
export function link_tick(elapsedMs: u32): i32 {
  transferTick(elapsedMs);
  return installedThisRun ? 1 : 0;
}

/** The link's drop counters (u32 each, order in link/counters.ts) at the start of the window. */
export function link_stats(): i32 {
  copyCounters(ioWindow);
  return COUNTERS;
}

/** The wire was reconnected: forget any half-received frame and open transfer session. */
export function link_reset(): void {
  hdlcReset();
  rpcReset();
  transferReset();
}
