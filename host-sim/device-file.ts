// The device file: one simulated device's whole flash, its board and its counters in one file,
// so a device survives between CLI commands like a real one survives between power cycles.
//
// Format (little-endian):
//    0  8 bytes  magic "AIRLKDEV"
//    8  u32      format version (DEVICE_FILE_VERSION)
//   12  u32      J: length of the JSON header
//   16  J bytes  JSON { board, counters, flashBytes, bitmapBytes, sectorCount,
//                       programOps, eraseOps }
//       flashBytes      the flash contents
//       bitmapBytes     one bit per write unit: programmed since its last erase
//       sectorCount x u32  erase count of each sector
//       32 bytes     SHA-256 of everything before it
// The board is stored whole (not only its name): a device keeps the geometry it was made with
// even if board/*.json changes later, and sweep variants that have no file still round-trip.
// Saving writes a temporary file beside the target, syncs it and renames it over the target,
// so a crash while saving leaves the old device file or the new one, never a mix.

import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { writeAtomic } from "../tools/format/index.js";
import { NorFlash } from "./flash.js";
import { validateBoard, type Board } from "./boards.js";

const MAGIC = Buffer.from("AIRLKDEV", "ascii");
export const DEVICE_FILE_VERSION = 1;
const DIGEST_BYTES = 32;
const PREFIX_BYTES = 16;

/** A simulated device at rest. */
export interface DeviceImage {
  board: Board;
  flash: NorFlash;
  /** Host-side counters kept with the device (power-ons, updates, ...): names are free. */
  counters: Record<string, number>;
}

/** A device file that cannot be used, with the reason and what to do about it. */
export class DeviceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceFileError";
  }
}

export function encodeDevice(device: DeviceImage): Uint8Array {
  const state = device.flash.state();
  const header = Buffer.from(
    JSON.stringify({
      board: device.board,
      counters: device.counters,
      flashBytes: state.bytes.length,
      bitmapBytes: state.programmedUnits.length,
      sectorCount: state.eraseCounts.length,
      programOps: state.programOps,
      eraseOps: state.eraseOps,
    }),
    "utf8",
  );
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(DEVICE_FILE_VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  const counts = Buffer.alloc(state.eraseCounts.length * 4);
  state.eraseCounts.forEach((c, i) => counts.writeUInt32LE(c, i * 4));
  const body = Buffer.concat([prefix, header, state.bytes, state.programmedUnits, counts]);
  const digest = createHash("sha256").update(body).digest();
  return Buffer.concat([body, digest]);
}

/** Decodes a device file's bytes; `source` names the file in errors. */
export function decodeDevice(bytes: Uint8Array, source: string): DeviceImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notDevice = (why: string) =>
    new DeviceFileError(
      `${source} is not an airlock device file (${why}); create one with \`airlock sim init\``,
    );
  const corrupt = (why: string) =>
    new DeviceFileError(
      `${source} is a corrupt airlock device file (${why}); restore it from a copy or create ` +
        `a new device with \`airlock sim init\``,
    );
  if (buf.length < PREFIX_BYTES + DIGEST_BYTES || !buf.subarray(0, 8).equals(MAGIC)) {
    throw notDevice("it does not start with the device file magic");
  }
  const version = buf.readUInt32LE(8);
  if (version !== DEVICE_FILE_VERSION) {
    throw new DeviceFileError(
      `${source} is a device file of format version ${version}; this airlock reads version ` +
        `${DEVICE_FILE_VERSION}: use the airlock that made it or create the device again`,
    );
  }
  const body = buf.subarray(0, buf.length - DIGEST_BYTES);
  const digest = createHash("sha256").update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) {
    throw corrupt("its SHA-256 checksum does not match: the file was truncated or altered");
  }
  const headerLength = buf.readUInt32LE(12);
  if (PREFIX_BYTES + headerLength > body.length) throw corrupt("its header runs past the end");
  let header: {
    board: unknown;
    counters: unknown;
    flashBytes: number;
    bitmapBytes: number;
    sectorCount: number;
    programOps: number;
    eraseOps: number;
  };
  try {
    header = JSON.parse(body.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength).toString("utf8"));
  } catch (e) {
    throw corrupt(`its header is not JSON: ${(e as Error).message}`);
  }
  let board: Board;
  try {
    board = validateBoard(header.board, `board stored in ${source}`);
  } catch (e) {
    throw corrupt((e as Error).message);
  }
  const counters: Record<string, number> = {};
  if (typeof header.counters === "object" && header.counters !== null) {
    for (const [k, v] of Object.entries(header.counters)) {
      if (typeof v === "number") counters[k] = v;
    }
  }
  const { flashBytes, bitmapBytes, sectorCount } = header;
  let at = PREFIX_BYTES + headerLength;
  const expected = at + flashBytes + bitmapBytes + sectorCount * 4;
  if (![flashBytes, bitmapBytes, sectorCount].every(Number.isInteger) || expected !== body.length) {
    throw corrupt(`its sections do not add up to its length (${body.length} bytes)`);
  }
  const take = (n: number) => {
    const part = new Uint8Array(body.subarray(at, at + n));
    at += n;
    return part;
  };
  const flashContents = take(flashBytes);
  const programmedUnits = take(bitmapBytes);
  const countBytes = Buffer.from(take(sectorCount * 4));
  const eraseCounts = new Uint32Array(sectorCount);
  for (let i = 0; i < sectorCount; i++) eraseCounts[i] = countBytes.readUInt32LE(i * 4);
  let flash: NorFlash;
  try {
    flash = new NorFlash(board.flash, {
      bytes: flashContents,
      programmedUnits,
      eraseCounts,
      programOps: Number(header.programOps) || 0,
      eraseOps: Number(header.eraseOps) || 0,
    });
  } catch (e) {
    throw corrupt((e as Error).message);
  }
  return { board, flash, counters };
}

/** Reads a device file; throws DeviceFileError with the cause and the fix. */
export function loadDevice(path: string): DeviceImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DeviceFileError(
      code === "ENOENT"
        ? `device file ${path} does not exist; create it with \`airlock sim init --flash ${path}\``
        : `device file ${path} cannot be read: ${(e as Error).message}`,
    );
  }
  return decodeDevice(bytes, path);
}

/**
 * Writes a device file atomically (temporary file, fsync, rename) through the host's output
 * writer, which never replaces a link, a device node or a read-only file.
 */
export function saveDevice(path: string, device: DeviceImage): void {
  writeAtomic(path, encodeDevice(device), { force: true });
}

/** True when `path` starts with the device file magic (whatever its version or state). */
export function looksLikeDeviceFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
  } finally {
    closeSync(fd);
  }
}
