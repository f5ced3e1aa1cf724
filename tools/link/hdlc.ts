// pw_hdlc UI frames on the host: 0x7E flag, 0x7D escape (byte ^ 0x20), Pigweed's one-terminated
// address, control 0x03, payload, CRC-32 little-endian. The decoder is a stream: bytes in any
// pieces, valid frames out; whatever is not a valid frame is dropped and counted, never thrown.
import { crc32 } from "./crc32.js";

const FLAG = 0x7e;
const ESCAPE = 0x7d;
const ESCAPE_XOR = 0x20;
export const UI_CONTROL = 0x03;
/** pw_rpc's HDLC address in Pigweed's systems. */
export const RPC_ADDRESS = 82;
/** pw_system's largest decoded frame. */
export const MAX_FRAME_BYTES = 1055;

export interface HdlcFrame {
  address: number;
  control: number;
  payload: Uint8Array;
}

/** Pigweed's address encoding: 7 bits per byte above a low bit that marks the last byte. */
function encodeAddress(address: number): number[] {
  if (!Number.isSafeInteger(address) || address < 0) throw new RangeError(`HDLC address must be a whole number >= 0, not ${address}`);
  const bytes: number[] = [];
  let a = address;
  do {
    bytes.push((a % 128) << 1);
    a = Math.floor(a / 128);
  } while (a > 0);
  bytes[bytes.length - 1]! |= 1;
  return bytes;
}

function escapeInto(out: number[], bytes: ArrayLike<number>): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === FLAG || b === ESCAPE) out.push(ESCAPE, b ^ ESCAPE_XOR);
    else out.push(b);
  }
}

/** One UI frame, flags included. */
export function encodeUiFrame(address: number, payload: Uint8Array): Uint8Array {
  const body = new Uint8Array([...encodeAddress(address), UI_CONTROL, ...payload]);
  const fcs = crc32(body);
  const out: number[] = [FLAG];
  escapeInto(out, body);
  escapeInto(out, [fcs & 0xff, (fcs >>> 8) & 0xff, (fcs >>> 16) & 0xff, fcs >>> 24]);
  out.push(FLAG);
  return Uint8Array.from(out);
}

export interface HdlcStats {
  frames: number;
  badFcs: number;
  tooLong: number;
  tooShort: number;
  outsideBytes: number;
}

export class HdlcDecoder {
  readonly stats: HdlcStats = { frames: 0, badFcs: 0, tooLong: 0, tooShort: 0, outsideBytes: 0 };
  private buffer: Uint8Array;
  private length = 0;
  private inFrame = false;
  private escaping = false;
  private overflow = false;
  private broken = false;
  /** The last flag closed something (a frame, an empty frame, noise): one more flag is no error. */
  private flagOnly = false;
  private sawOutside = false;

  constructor(readonly maxFrameBytes = MAX_FRAME_BYTES) {
    this.buffer = new Uint8Array(maxFrameBytes);
  }

  /** Feeds received bytes; returns the frames they completed. */
  push(bytes: Uint8Array): HdlcFrame[] {
    const frames: HdlcFrame[] = [];
    for (const b of bytes) {
      if (b === FLAG) {
        if (this.inFrame) {
          const frame = this.end();
          if (frame) frames.push(frame);
        } else {
          // Bytes before this flag were noise (already counted): the flag itself opens a frame.
          this.flagOnly = this.sawOutside;
          this.sawOutside = false;
        }
        this.inFrame = true;
        continue;
      }
      if (!this.inFrame) {
        this.stats.outsideBytes++;
        this.sawOutside = true;
        continue;
      }
      let v = b;
      if (this.escaping) {
        this.escaping = false;
        v = b ^ ESCAPE_XOR;
        // Only a flag or an escape is ever escaped (Pigweed's decoder): anything else is corruption.
        if (v !== FLAG && v !== ESCAPE) this.broken = true;
      } else if (b === ESCAPE) {
        this.escaping = true;
        continue;
      }
      if (this.length >= this.maxFrameBytes) {
        this.overflow = true;
        continue;
      }
      this.buffer[this.length++] = v;
    }
    return frames;
  }

  private end(): HdlcFrame | undefined {
    const { length, overflow } = this;
    const broken = this.broken || this.escaping;
    this.length = 0;
    this.overflow = false;
    this.broken = false;
    this.escaping = false;
    if (length === 0 && !overflow && !broken) {
      // The flag after a frame may open the next one ("~frame~~frame~"); two flags with nothing
      // between them otherwise are an empty frame, counted (Pigweed's decoder reports it too).
      if (this.flagOnly) this.flagOnly = false;
      else {
        this.stats.tooShort++;
        this.flagOnly = true;
      }
      return undefined;
    }
    this.flagOnly = true;
    if (overflow) {
      this.stats.tooLong++;
      return undefined;
    }
    if (broken || length < 6) {
      this.stats.tooShort++;
      return undefined;
    }
    const body = this.buffer.subarray(0, length - 4);
    const fcs = this.buffer[length - 4]! | (this.buffer[length - 3]! << 8) | (this.buffer[length - 2]! << 16) | (this.buffer[length - 1]! << 24);
    if (crc32(body) !== fcs >>> 0) {
      this.stats.badFcs++;
      return undefined;
    }
    let address = 0;
    let i = 0;
    for (let scale = 1; ; scale *= 128) {
      if (i >= body.length || i >= 8) {
        this.stats.tooShort++;
        return undefined;
      }
      const b = body[i++]!;
      address += (b >> 1) * scale;
      if (b & 1) break;
    }
    if (i >= body.length) {
      this.stats.tooShort++;
      return undefined;
    }
    this.stats.frames++;
    return { address, control: body[i]!, payload: body.slice(i + 1) };
  }
}
