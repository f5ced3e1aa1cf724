// What the link layer dropped, and why: every malformed byte sequence is counted, never fatal.
// link_stats() copies these into the I/O window (link/index.ts lists the order).
export const COUNTER_FRAMES = 0; // frames that passed their FCS and were handled
export const COUNTER_BAD_FCS = 1; // frames whose CRC-32 did not match
export const COUNTER_TOO_LONG = 2; // frames longer than LINK_RX_FRAME_BYTES
export const COUNTER_TOO_SHORT = 3; // frames too short for address, control and FCS, or a bad escape
export const COUNTER_OUTSIDE = 4; // bytes before the first flag (line noise, a half frame at start-up)
export const COUNTER_OTHER_ADDRESS = 5; // valid frames for another HDLC address or not UI frames
export const COUNTER_BAD_PACKET = 6; // RPC packets or chunks that did not decode
export const COUNTER_UNKNOWN_CALL = 7; // packets for a service, method or call that is not open
export const COUNTER_TX_DROPPED = 8; // responses that did not fit the transmit buffer
export const COUNTER_TX_FAILED = 9; // link.tx reported an error
export const COUNTERS = 10;

const counters: usize = memory.data(COUNTERS * 4, 4);

export function count(which: i32): void {
  const p = counters + <usize>(which * 4);
  store<u32>(p, load<u32>(p) + 1);
}

export function countBy(which: i32, n: u32): void {
  const p = counters + <usize>(which * 4);
  store<u32>(p, load<u32>(p) + n);
}

export function copyCounters(dst: usize): void {
  memory.copy(dst, counters, COUNTERS * 4);
}
