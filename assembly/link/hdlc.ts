// pw_hdlc UI frames: 0x7E flag, 0x7D escape (next byte ^ 0x20), a one-terminated address
// (Pigweed's encoding: 7 bits per byte above a low bit that is 1 on the last byte), control
// 0x03, the payload, and a little-endian CRC-32 over address, control and payload. The decoder
// unescapes into a fixed buffer at the top of the I/O window; whatever does not form a valid
// frame is dropped and counted. A frame handler runs only after the frame is whole and checked.
import { CRC32_INIT, crc32Update, crc32Final } from "../store/crc32";
import { LINK_RX_FRAME_AT, LINK_RX_FRAME_BYTES, LINK_TX_FRAME_AT, LINK_TX_FRAME_BYTES } from "../limits";
import { ioWindow } from "../io";
import {
  count, countBy, COUNTER_BAD_FCS, COUNTER_TOO_LONG, COUNTER_TOO_SHORT, COUNTER_OUTSIDE,
  COUNTER_OTHER_ADDRESS, COUNTER_FRAMES, COUNTER_TX_DROPPED, COUNTER_TX_FAILED,
} from "./counters";

// @ts-ignore: decorator
@external("link", "tx")
declare function linkTx(ptr: usize, len: u32): i32;

const FLAG: u8 = 0x7e;
const ESCAPE: u8 = 0x7d;
const ESCAPE_XOR: u8 = 0x20;
export const UI_CONTROL: u8 = 0x03;
const FCS_BYTES: u32 = 4;

const frame: usize = ioWindow + LINK_RX_FRAME_AT;
let frameLen: u32 = 0;
let inFrame = false; // a flag was seen: bytes belong to a frame
let escaping = false;
let overflow = false;
let badEscape = false;
let flagOnly = false; // the last flag closed something: one more flag is no error
let sawOutside = false;

// The frame just decoded, for the handler.
export let rxAddress: u64 = 0;
export let rxPayload: usize = 0;
export let rxPayloadLen: u32 = 0;

/** Forget any half-received frame (link reset, device reset). */
export function hdlcReset(): void {
  frameLen = 0;
  flagOnly = false;
  sawOutside = false;
  inFrame = false;
  escaping = false;
  overflow = false;
  badEscape = false;
}

function frameEnded(): bool {
  const len = frameLen;
  const tooLong = overflow;
  const broken = badEscape || escaping;
  frameLen = 0;
  overflow = false;
  badEscape = false;
  escaping = false;
  if (len == 0 && !tooLong && !broken) {
    // The flag after a frame may open the next one; two flags with nothing between them
    // otherwise are an empty frame, counted as Pigweed's decoder reports it.
    if (flagOnly) flagOnly = false;
    else {
      count(COUNTER_TOO_SHORT);
      flagOnly = true;
    }
    return false;
  }
  flagOnly = true;
  if (tooLong) {
    count(COUNTER_TOO_LONG);
    return false;
  }
  if (broken || len < 2 + FCS_BYTES) {
    count(COUNTER_TOO_SHORT);
    return false;
  }
  const body = len - FCS_BYTES;
  const crc = crc32Final(crc32Update(CRC32_INIT, frame, body));
  if (crc != load<u32>(frame + body)) {
    count(COUNTER_BAD_FCS);
    return false;
  }
  // The address: bytes up to and including the first with its low bit set.
  let address: u64 = 0;
  let shift: u64 = 0;
  let i: u32 = 0;
  while (true) {
    if (i >= body || i >= 10) {
      count(COUNTER_TOO_SHORT);
      return false;
    }
    const b = <u64>load<u8>(frame + i);
    address |= (b >> 1) << shift;
    shift += 7;
    i++;
    if ((b & 1) != 0) break;
  }
  if (i >= body) {
    count(COUNTER_TOO_SHORT); // no control byte
    return false;
  }
  const control = load<u8>(frame + i);
  rxAddress = address;
  rxPayload = frame + i + 1;
  rxPayloadLen = body - i - 1;
  if (control != UI_CONTROL) {
    count(COUNTER_OTHER_ADDRESS);
    return false;
  }
  count(COUNTER_FRAMES);
  return true;
}

/**
 * Feeds len received bytes at src; calls onFrame() for each valid UI frame (rxAddress, rxPayload
 * and rxPayloadLen describe it). The handler may send: transmit never touches the frame buffer.
 */
export function hdlcReceive(src: usize, len: u32, onFrame: () => void): void {
  let outside: u32 = 0;
  for (let k: u32 = 0; k < len; k++) {
    const b = load<u8>(src + k);
    if (b == FLAG) {
      if (inFrame) {
        if (frameEnded()) onFrame();
      } else {
        flagOnly = sawOutside; // noise before this flag, already counted
        sawOutside = false;
      }
      inFrame = true;
      continue;
    }
    if (!inFrame) {
      outside++;
      sawOutside = true;
      continue;
    }
    let v = b;
    if (escaping) {
      escaping = false;
      v = b ^ ESCAPE_XOR; // an escape followed by a flag ended the frame above, as broken
      // Only a flag or an escape is ever escaped: anything else is corruption.
      if (v != FLAG && v != ESCAPE) badEscape = true;
    } else if (b == ESCAPE) {
      escaping = true;
      continue;
    }
    if (frameLen >= <u32>LINK_RX_FRAME_BYTES) {
      overflow = true;
      continue;
    }
    store<u8>(frame + frameLen, v);
    frameLen++;
  }
  if (outside > 0) countBy(COUNTER_OUTSIDE, outside);
}

// ---- transmit ----
const tx: usize = ioWindow + LINK_TX_FRAME_AT;
let txLen: u32 = 0;
let txCrc: u32 = 0;

function put(b: u8): void {
  if (b == FLAG || b == ESCAPE) {
    store<u8>(tx + txLen++, ESCAPE);
    store<u8>(tx + txLen++, b ^ ESCAPE_XOR);
  } else {
    store<u8>(tx + txLen++, b);
  }
}

function putCounted(b: u8): void {
  store<u8>(tx + LINK_TX_FRAME_BYTES, b); // a one-byte scratch just past the frame area
  txCrc = crc32Update(txCrc, tx + LINK_TX_FRAME_BYTES, 1);
  put(b);
}

/** Sends one UI frame to `address` carrying len payload bytes at payload (outside the tx area). */
export function hdlcSend(address: u64, payload: usize, len: u32): void {
  // Worst case every byte escaped: 2 flags, 10 address bytes, control, payload, FCS.
  if (<u64>2 * (<u64>len + 15) + 2 > <u64>LINK_TX_FRAME_BYTES) {
    count(COUNTER_TX_DROPPED);
    return;
  }
  txLen = 0;
  txCrc = CRC32_INIT;
  store<u8>(tx + txLen++, FLAG);
  let a = address;
  while (true) {
    const low = <u8>(a & 0x7f);
    a >>= 7;
    if (a == 0) {
      putCounted((low << 1) | 1);
      break;
    }
    putCounted(low << 1);
  }
  putCounted(UI_CONTROL);
  txCrc = crc32Update(txCrc, payload, len);
  for (let i: u32 = 0; i < len; i++) put(load<u8>(payload + i));
  const fcs = crc32Final(txCrc);
  for (let i: u32 = 0; i < 4; i++) put(<u8>(fcs >> (8 * i)));
  store<u8>(tx + txLen++, FLAG);
  if (linkTx(tx, txLen) != 0) count(COUNTER_TX_FAILED);
}
