// Boards: a real part's flash geometry and the partition layout airlock uses on it, one JSON
// file per board in board/. Every board is validated the way the agent validates its layout
// descriptor, so a bad board fails here with its name and the fix, not later inside the agent.

import { readdirSync, readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { geometrySize, type FlashGeometry } from "./flash.js";
import { InputError } from "../tools/format/index.js";
import {
  MAX_HARDWARE_ID,
  MAX_SECTOR_RUNS,
  MAX_TARGETS,
  MAX_TARGET_NAME,
  MIN_METADATA_BANK_BYTES,
} from "../assembly/limits.js";

export interface Partition {
  offset: number;
  size: number;
}

/** One updatable target: an A/B pair of equal slots. */
export interface TargetSlots {
  name: string;
  slotA: number;
  slotB: number;
  slotSize: number;
}

export interface Board {
  name: string;
  description: string;
  /** Written into the layout descriptor; a bundle naming other hardware is refused. */
  hardwareId: string;
  flash: FlashGeometry;
  /** Power-ons a new image gets on trial to call confirm() before boot() reverts it (1..255; default 1). */
  trialBoots?: number;
  /**
   * boot() re-hashes the slot it is about to run against the SHA-256 recorded at install, through
   * boot_poll budgets, and falls back to the other slot if only that one is intact (default off).
   */
  bootCheck?: boolean;
  partitions: {
    metadata: Partition;
    staging: Partition;
    targets: TargetSlots[];
  };
}

/** The board of the quick start and of every command that is not told otherwise. */
export const DEFAULT_BOARD = "nrf52840";

/** The target every board must have: the application image. */
export const APP_TARGET = "app";

/** Pigweed's reserved target name: the bundle's user manifest, kept with the device manifest. */
export const USER_MANIFEST_NAME = "user_manifest";

/** Where the board JSON files live (board/ at the repository root). */
export const BOARD_DIR = fileURLToPath(new URL("../board/", import.meta.url));

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** Names of the boards in board/, sorted. */
export function listBoards(dir: string = BOARD_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

/** Reads and validates board/<name>.json. */
export function loadBoard(name: string = DEFAULT_BOARD, dir: string = BOARD_DIR): Board {
  // A name ending in .json is a path to the team's own board file (`--board ./my-board.json`);
  // the device file stores the whole board, so later commands need no path.
  if (name.endsWith(".json")) return loadBoardFile(name, dir);
  const path = join(dir, `${name}.json`);
  if (!NAME_PATTERN.test(name) || !existsSync(path)) {
    throw new Error(
      `unknown board "${name}": known boards are ${listBoards(dir).join(", ")} ` +
        `(files in ${dir}); pick one of them or add ${name}.json there`,
    );
  }
  const board = boardFromJson(readFileSync(path, "utf8"), `board "${name}" (${path})`);
  if (board.name !== name) {
    throw new Error(
      `board "${name}" (${path}): its "name" field says "${board.name}"; make the file name ` +
        `and the name field agree`,
    );
  }
  return board;
}

function loadBoardFile(path: string, dir: string): Board {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(
      `board file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ` +
        `give a board JSON file or one of the board names ${listBoards(dir).join(", ")}`,
    );
  }
  return boardFromJson(text, `board file ${path}`);
}

/** Parses and validates a board file's text; `label` names the board in every error. */
function boardFromJson(text: string, label: string): Board {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${label} is not valid JSON (${(e as Error).message})`);
  }
  return validateBoard(parsed, label);
}

/**
 * The same board with another write unit and/or erased value, for sweeping the agent over flash
 * parts it has not met yet. The partition layout stays (it is sector-aligned, so any write unit
 * up to the smallest sector fits); the name says what changed.
 */
export function boardVariant(
  board: Board,
  change: { writeUnit?: number; erasedValue?: number },
): Board {
  const writeUnit = change.writeUnit ?? board.flash.writeUnit;
  const erasedValue = change.erasedValue ?? board.flash.erasedValue;
  const hex = erasedValue.toString(16).padStart(2, "0");
  const variant: Board = {
    ...structuredClone(board),
    name: `${board.name.split("+")[0]}+wu${writeUnit}+erased${hex}`,
    flash: { ...structuredClone(board.flash), writeUnit, erasedValue },
  };
  return validateBoard(variant, `board variant "${variant.name}"`);
}

/** Checks an untrusted object against the board schema; `where` names it in every error. */
export function validateBoard(value: unknown, where: string): Board {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  const obj = (v: unknown, path: string): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : fail(`${path} must be an object`);
  const str = (v: unknown, path: string): string =>
    typeof v === "string" ? v : fail(`${path} must be a string`);
  const uint = (v: unknown, path: string): number =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff
      ? v
      : fail(`${path} must be an unsigned 32-bit integer, not ${JSON.stringify(v)}`);

  const root = obj(value, "the board");
  const name = str(root.name, "name");
  if (!NAME_PATTERN.test(name.split("+")[0]!)) {
    fail(`name "${name}" must be lower-case letters, digits, ".", "_" or "-"`);
  }
  const description = str(root.description, "description");
  let trialBoots: number | undefined;
  if (root.trialBoots !== undefined) {
    trialBoots = uint(root.trialBoots, "trialBoots");
    if (trialBoots < 1 || trialBoots > 255) fail(`trialBoots must be 1..255 (power-ons a new image gets to confirm), not ${trialBoots}`);
  }
  let bootCheck: boolean | undefined;
  if (root.bootCheck !== undefined) {
    if (typeof root.bootCheck !== "boolean") fail(`bootCheck must be true or false (re-hash the image at boot), not ${JSON.stringify(root.bootCheck)}`);
    bootCheck = root.bootCheck as boolean;
  }
  const hardwareId = str(root.hardwareId, "hardwareId");
  if (Buffer.byteLength(hardwareId, "utf8") > MAX_HARDWARE_ID) {
    fail(`hardwareId "${hardwareId}" is longer than ${MAX_HARDWARE_ID} bytes; shorten it`);
  }

  const flashObj = obj(root.flash, "flash");
  if (!Array.isArray(flashObj.sectors)) fail("flash.sectors must be an array of { size, count }");
  const sectors = (flashObj.sectors as unknown[]).map((r, i) => {
    const run = obj(r, `flash.sectors[${i}]`);
    return { size: uint(run.size, `flash.sectors[${i}].size`), count: uint(run.count, `flash.sectors[${i}].count`) };
  });
  if (sectors.length > MAX_SECTOR_RUNS) {
    fail(`flash.sectors has ${sectors.length} runs; the layout descriptor holds at most ${MAX_SECTOR_RUNS}: merge runs of equal size`);
  }
  const flash: FlashGeometry = {
    sectors,
    writeUnit: uint(flashObj.writeUnit, "flash.writeUnit"),
    erasedValue: uint(flashObj.erasedValue, "flash.erasedValue"),
  };
  let flashSize = 0;
  try {
    flashSize = geometrySize(flash);
  } catch (e) {
    fail((e as Error).message);
  }
  const boundaries = new Set<number>([0]);
  let at = 0;
  for (const run of sectors) {
    for (let i = 0; i < run.count; i++) boundaries.add((at += run.size));
  }

  const partsObj = obj(root.partitions, "partitions");
  const partition = (v: unknown, path: string): Partition => {
    const p = obj(v, path);
    return { offset: uint(p.offset, `${path}.offset`), size: uint(p.size, `${path}.size`) };
  };
  const metadata = partition(partsObj.metadata, "partitions.metadata");
  const staging = partition(partsObj.staging, "partitions.staging");
  if (!Array.isArray(partsObj.targets) || partsObj.targets.length === 0) {
    fail("partitions.targets must list at least one target");
  }
  const targetList = partsObj.targets as unknown[];
  if (targetList.length > MAX_TARGETS) {
    fail(`partitions.targets lists ${targetList.length} targets; at most ${MAX_TARGETS} fit the layout descriptor`);
  }
  const targets = targetList.map((t, i): TargetSlots => {
    const o = obj(t, `partitions.targets[${i}]`);
    return {
      name: str(o.name, `partitions.targets[${i}].name`),
      slotA: uint(o.slotA, `partitions.targets[${i}].slotA`),
      slotB: uint(o.slotB, `partitions.targets[${i}].slotB`),
      slotSize: uint(o.slotSize, `partitions.targets[${i}].slotSize`),
    };
  });

  // Every region: non-empty, inside the part, starting and ending on sector boundaries, and
  // overlapping no other region.
  const regions: { label: string; offset: number; size: number }[] = [
    { label: "partitions.metadata", ...metadata },
    { label: "partitions.staging", ...staging },
  ];
  const seen = new Set<string>();
  for (const t of targets) {
    const bytes = Buffer.byteLength(t.name, "utf8");
    if (bytes === 0 || bytes > MAX_TARGET_NAME) {
      fail(`target name "${t.name}" must be 1 to ${MAX_TARGET_NAME} bytes of UTF-8`);
    }
    if (t.name.includes("\0")) fail(`target name "${t.name}" must not contain NUL bytes`);
    if (t.name === USER_MANIFEST_NAME) {
      fail(`target name "${USER_MANIFEST_NAME}" is reserved for the bundle's user manifest (kept with the device manifest, never installed); rename the target`);
    }
    if (seen.has(t.name)) fail(`target "${t.name}" is listed twice; give each target one entry`);
    seen.add(t.name);
    regions.push({ label: `target "${t.name}" slot A`, offset: t.slotA, size: t.slotSize });
    regions.push({ label: `target "${t.name}" slot B`, offset: t.slotB, size: t.slotSize });
  }
  if (!seen.has(APP_TARGET)) {
    fail(`no target is named "${APP_TARGET}"; every board needs one for the application image`);
  }
  for (const r of regions) {
    if (r.size === 0) fail(`${r.label} is empty; give it a size`);
    if (r.offset + r.size > flashSize) {
      fail(`${r.label} (0x${r.offset.toString(16)} + 0x${r.size.toString(16)}) ends past the ${flashSize}-byte flash; move or shrink it`);
    }
    if (!boundaries.has(r.offset) || !boundaries.has(r.offset + r.size)) {
      fail(`${r.label} (0x${r.offset.toString(16)}, 0x${r.size.toString(16)} bytes) does not start and end on sector boundaries; align it to whole sectors`);
    }
  }
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i]!;
      const b = regions[j]!;
      if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        fail(`${a.label} overlaps ${b.label}; move one of them`);
      }
    }
  }
  const metadataStarts = [...boundaries].filter((b) => b >= metadata.offset && b < metadata.offset + metadata.size).sort((a, b) => a - b);
  if (metadataStarts.length < 2) {
    fail("partitions.metadata must span at least two sectors (the record store alternates between them)");
  }
  // The agent's banks: the first half of the metadata sectors, then the next equal count.
  const half = Math.floor(metadataStarts.length / 2);
  const bank1End = 2 * half < metadataStarts.length ? metadataStarts[2 * half]! : metadata.offset + metadata.size;
  const smallestBank = Math.min(metadataStarts[half]! - metadata.offset, bank1End - metadataStarts[half]!);
  if (smallestBank < MIN_METADATA_BANK_BYTES) {
    fail(
      `partitions.metadata gives each of its two banks ${smallestBank} bytes; the record store needs at least ${MIN_METADATA_BANK_BYTES} per bank (MIN_METADATA_BANK_BYTES), so make the partition at least ${2 * MIN_METADATA_BANK_BYTES} bytes of whole sectors`,
    );
  }
  const largestSlot = Math.max(...targets.map((t) => t.slotSize));
  if (staging.size <= largestSlot) {
    fail(`partitions.staging (${staging.size} bytes) cannot hold a bundle carrying a full slot image (${largestSlot} bytes) plus its metadata; make it larger than the largest slot`);
  }
  return {
    name,
    description,
    hardwareId,
    flash,
    ...(trialBoots === undefined ? {} : { trialBoots }),
    ...(bootCheck === undefined ? {} : { bootCheck }),
    partitions: { metadata, staging, targets },
  };
}

/** Looks up a target's slots by name. */
export function targetSlots(board: Board, name: string = APP_TARGET): TargetSlots {
  const t = board.partitions.targets.find((x) => x.name === name);
  if (!t) {
    throw new Error(
      `board "${board.name}" has no target "${name}" (it has ${board.partitions.targets.map((x) => x.name).join(", ")})`,
    );
  }
  return t;
}

/** A board by name or board-file path, its errors as InputError (exit 2) naming the board. */
export function boardNamed(name: string): Board {
  try {
    return loadBoard(name);
  } catch (err) {
    throw new InputError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Refuses images a board cannot hold, before anything is built or written: a target the board
 * lacks, an empty image, an image larger than its slot. The user manifest is not a slot image.
 */
export function requireImagesFit(board: Board, images: Array<{ name: string; length: number }>): void {
  const targets = board.partitions.targets;
  for (const { name, length } of images) {
    if (name === USER_MANIFEST_NAME) continue;
    const target = targets.find((t) => t.name === name);
    if (!target) {
      throw new InputError(`board "${board.name}" has no target "${name}"; its targets are ${targets.map((t) => t.name).join(", ")}`);
    }
    if (length === 0 || length > target.slotSize) {
      throw new InputError(`image for "${name}" is ${length} bytes; a slot of board "${board.name}" holds 1 to ${target.slotSize} bytes`);
    }
  }
}
