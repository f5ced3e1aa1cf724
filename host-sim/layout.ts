// The layout descriptor: the bytes firmware passes to the agent's configure(len) at every
// power-on, describing the flash and its partitions. Little-endian, in this order:
//    0 u32 magic LAYOUT_MAGIC ("ALAY")  4 u8 version  5 u8 write unit  6 u8 erased value
//    7 u8 R sector runs  8 u8 T targets  9 u8 H hardware ID length
//   10 u8 trial boots (power-ons a new image gets to confirm; 0 reads as 1)  11 u8 reserved (0)
//   12 R x { u32 sector size, u32 sector count }
//      metadata { u32 offset, u32 size }, staging { u32 offset, u32 size }
//      T x { name: MAX_TARGET_NAME bytes UTF-8 zero-padded, u32 slot A, u32 slot B, u32 size }
//      H bytes hardware ID

import type { Board } from "./boards.js";
import { LAYOUT_MAGIC, LAYOUT_VERSION, MAX_TARGET_NAME } from "../assembly/limits.js";

const HEADER_BYTES = 12;
const SECTOR_RUN_BYTES = 8;
const PARTITION_BYTES = 8;
const TARGET_BYTES = MAX_TARGET_NAME + 12;

/** Size of the descriptor for a board (it must fit the agent's I/O window). */
export function layoutSize(board: Board): number {
  return (
    HEADER_BYTES +
    board.flash.sectors.length * SECTOR_RUN_BYTES +
    2 * PARTITION_BYTES +
    board.partitions.targets.length * TARGET_BYTES +
    Buffer.byteLength(board.hardwareId, "utf8")
  );
}

/** Encodes a validated board (see boards.ts: loadBoard / validateBoard) as descriptor bytes. */
export function encodeLayout(board: Board): Uint8Array {
  const bytes = new Uint8Array(layoutSize(board));
  const view = new DataView(bytes.buffer);
  const hardwareId = Buffer.from(board.hardwareId, "utf8");
  view.setUint32(0, LAYOUT_MAGIC, true);
  view.setUint8(4, LAYOUT_VERSION);
  view.setUint8(5, board.flash.writeUnit);
  view.setUint8(6, board.flash.erasedValue);
  view.setUint8(7, board.flash.sectors.length);
  view.setUint8(8, board.partitions.targets.length);
  view.setUint8(9, hardwareId.length);
  view.setUint8(10, board.trialBoots ?? 1);
  view.setUint8(11, board.bootCheck ? 1 : 0);
  let at = HEADER_BYTES;
  const u32 = (v: number) => {
    view.setUint32(at, v, true);
    at += 4;
  };
  for (const run of board.flash.sectors) {
    u32(run.size);
    u32(run.count);
  }
  u32(board.partitions.metadata.offset);
  u32(board.partitions.metadata.size);
  u32(board.partitions.staging.offset);
  u32(board.partitions.staging.size);
  for (const t of board.partitions.targets) {
    const name = Buffer.from(t.name, "utf8");
    if (name.length > MAX_TARGET_NAME) {
      throw new Error(`target name "${t.name}" is longer than ${MAX_TARGET_NAME} bytes`);
    }
    bytes.set(name, at); // the rest of the field stays zero
    at += MAX_TARGET_NAME;
    u32(t.slotA);
    u32(t.slotB);
    u32(t.slotSize);
  }
  bytes.set(hardwareId, at);
  return bytes;
}
