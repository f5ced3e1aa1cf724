// A NOR flash part as strict as MCUboot's simulator, plus power loss.
//
// Rules the agent must live by (each broken rule is a distinct negative code from
// assembly/status.ts, never a silent success):
//   - program: addr and length are multiples of the write unit (ERR_FLASH_MISALIGNED), every
//     write unit touched has been erased since it was last programmed (ERR_FLASH_NOT_ERASED),
//     even when the new bytes equal the old ones or the erased value;
//   - erase: whole sectors only, start and end on sector boundaries (ERR_FLASH_NOT_SECTOR);
//   - any operation reaching past the end of the part is ERR_FLASH_OUT_OF_RANGE; a program or
//     erase of zero bytes is ERR_FLASH_EMPTY (a caller bug, not a no-op); a read of zero bytes
//     inside the part is fine.
// Invalid operations change nothing and are not counted.
//
// Power loss: arm({ atOp, mode, seed }) cuts power during the atOp-th program/erase counted
// after arming. "before": the operation does nothing; "torn": it is half done, as chosen by the
// seed; "after": it completes. Then PowerCutError is thrown from inside the operation, so it
// unwinds whatever called it (the WASM agent included), and the part refuses every further
// operation by throwing again until powerOn(). A torn write unit or sector that reads fully
// erased counts as erased (nothing could tell it apart); any other torn unit must be erased
// before it is programmed again, as on a real part where interrupted cells are undefined.

import type { FlashPort } from "./flash-port.js";
import {
  OK,
  ERR_FLASH_OUT_OF_RANGE,
  ERR_FLASH_MISALIGNED,
  ERR_FLASH_NOT_ERASED,
  ERR_FLASH_NOT_SECTOR,
  ERR_FLASH_EMPTY,
} from "../assembly/status.js";
import { MAX_WRITE_UNIT } from "../assembly/limits.js";

/** A run of `count` equal sectors of `size` bytes; runs follow each other from address 0. */
export interface SectorRun {
  size: number;
  count: number;
}

export interface FlashGeometry {
  sectors: SectorRun[];
  /** Bytes programmed at once: 1, 2, 4, 8, 16 or 32. */
  writeUnit: number;
  /** The value every byte reads after an erase: 0xFF or 0x00. */
  erasedValue: number;
}

export type PowerCutMode = "before" | "torn" | "after";

export const POWER_CUT_MODES: readonly PowerCutMode[] = ["before", "torn", "after"];

export interface PowerCutPlan {
  /** 1-based index of the program/erase operation, counted from the arm() call. */
  atOp: number;
  mode: PowerCutMode;
  /** Chooses how a torn operation is left; the same seed tears the same way. */
  seed?: number;
}

/** Thrown from inside a flash operation when the simulated power goes out. */
export class PowerCutError extends Error {
  constructor(
    message: string,
    /** The cut that fired, or null when the part was already off. */
    readonly plan: PowerCutPlan | null,
  ) {
    super(message);
    this.name = "PowerCutError";
  }
}

/** Everything a flash part remembers across power cycles (what a device file stores). */
export interface NorFlashState {
  bytes: Uint8Array;
  /** One bit per write unit: set when programmed since its last erase. */
  programmedUnits: Uint8Array;
  eraseCounts: Uint32Array;
  programOps: number;
  eraseOps: number;
}

/** Checks a geometry and returns its total size; throws an Error naming the problem and fix. */
export function geometrySize(g: FlashGeometry): number {
  const wu = g.writeUnit;
  if (!Number.isInteger(wu) || wu < 1 || wu > MAX_WRITE_UNIT || (wu & (wu - 1)) !== 0) {
    throw new Error(
      `flash write unit ${wu} is not supported: use a power of two from 1 to ${MAX_WRITE_UNIT}`,
    );
  }
  if (g.erasedValue !== 0xff && g.erasedValue !== 0x00) {
    throw new Error(`flash erased value ${g.erasedValue} is not supported: use 255 (0xFF) or 0`);
  }
  if (!Array.isArray(g.sectors) || g.sectors.length === 0) {
    throw new Error("flash sector map is empty: give at least one { size, count } run");
  }
  let size = 0;
  for (const run of g.sectors) {
    if (!Number.isInteger(run.size) || run.size <= 0 || run.size % wu !== 0) {
      throw new Error(
        `flash sector size ${run.size} is not a positive multiple of the write unit ${wu}`,
      );
    }
    if (!Number.isInteger(run.count) || run.count <= 0) {
      throw new Error(`flash sector count ${run.count} is not a positive integer`);
    }
    size += run.size * run.count;
  }
  if (size > 0xffffffff) {
    throw new Error(`flash of ${size} bytes does not fit 32-bit addresses`);
  }
  return size;
}

/** A small seeded generator (mulberry32): tears must replay exactly from their seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class NorFlash implements FlashPort {
  readonly geometry: FlashGeometry;
  readonly size: number;
  readonly writeUnit: number;
  readonly erasedValue: number;
  /** Start address of every sector, plus the end of the part as a last entry. */
  private readonly sectorBounds: number[];
  private readonly bytes: Uint8Array;
  private readonly programmedUnits: Uint8Array;
  private readonly eraseCountsBySector: Uint32Array;
  private programOpsDone: number;
  private eraseOpsDone: number;
  private plan: PowerCutPlan | null = null;
  private opsSinceArm = 0;
  private off = false;

  /** A part as it leaves the factory (every byte erased), or restored from a saved state. */
  constructor(geometry: FlashGeometry, state?: NorFlashState) {
    this.size = geometrySize(geometry);
    this.geometry = {
      sectors: geometry.sectors.map((r) => ({ size: r.size, count: r.count })),
      writeUnit: geometry.writeUnit,
      erasedValue: geometry.erasedValue,
    };
    this.writeUnit = geometry.writeUnit;
    this.erasedValue = geometry.erasedValue;
    this.sectorBounds = [];
    let at = 0;
    for (const run of geometry.sectors) {
      for (let i = 0; i < run.count; i++) {
        this.sectorBounds.push(at);
        at += run.size;
      }
    }
    this.sectorBounds.push(at);
    const units = this.size / this.writeUnit;
    const bitmapBytes = Math.ceil(units / 8);
    if (state) {
      if (
        state.bytes.length !== this.size ||
        state.programmedUnits.length !== bitmapBytes ||
        state.eraseCounts.length !== this.sectorCount
      ) {
        throw new Error(
          `saved flash state does not match the geometry (${state.bytes.length} bytes, ` +
            `${state.eraseCounts.length} sectors; expected ${this.size} bytes, ` +
            `${this.sectorCount} sectors)`,
        );
      }
      this.bytes = state.bytes.slice();
      this.programmedUnits = state.programmedUnits.slice();
      this.eraseCountsBySector = state.eraseCounts.slice();
      this.programOpsDone = state.programOps;
      this.eraseOpsDone = state.eraseOps;
    } else {
      this.bytes = new Uint8Array(this.size).fill(this.erasedValue);
      this.programmedUnits = new Uint8Array(bitmapBytes);
      this.eraseCountsBySector = new Uint32Array(this.sectorCount);
      this.programOpsDone = 0;
      this.eraseOpsDone = 0;
    }
  }

  // ---- the flash port ----

  read(addr: number, dst: Uint8Array): number {
    this.refuseWhenOff();
    const len = dst.length;
    if (!this.inRange(addr, len)) return ERR_FLASH_OUT_OF_RANGE;
    dst.set(this.bytes.subarray(addr, addr + len));
    return OK;
  }

  program(addr: number, src: Uint8Array): number {
    this.refuseWhenOff();
    const len = src.length;
    if (len === 0) return ERR_FLASH_EMPTY;
    if (!this.inRange(addr, len)) return ERR_FLASH_OUT_OF_RANGE;
    if (addr % this.writeUnit !== 0 || len % this.writeUnit !== 0) return ERR_FLASH_MISALIGNED;
    const firstUnit = addr / this.writeUnit;
    const units = len / this.writeUnit;
    for (let u = firstUnit; u < firstUnit + units; u++) {
      if (this.isProgrammed(u)) return ERR_FLASH_NOT_ERASED;
    }
    const data = new Uint8Array(src); // a copy (Buffer.slice would be a view): the caller may reuse src
    const mode = this.countOperation();
    if (mode === "before") this.cut();
    if (mode === "torn") {
      this.tearProgram(firstUnit, units, data);
      this.programOpsDone++;
      this.cut();
    }
    this.bytes.set(data, addr);
    for (let u = firstUnit; u < firstUnit + units; u++) this.markProgrammed(u, true);
    this.programOpsDone++;
    if (mode === "after") this.cut();
    return OK;
  }

  erase(addr: number, len: number): number {
    this.refuseWhenOff();
    if (len === 0) return ERR_FLASH_EMPTY;
    if (!this.inRange(addr, len)) return ERR_FLASH_OUT_OF_RANGE;
    const first = this.sectorStartingAt(addr);
    const end = this.sectorStartingAt(addr + len);
    if (first < 0 || end < 0) return ERR_FLASH_NOT_SECTOR;
    const mode = this.countOperation();
    if (mode === "before") this.cut();
    if (mode === "torn") {
      this.tearErase(first, end);
      this.eraseOpsDone++;
      this.cut();
    }
    for (let s = first; s < end; s++) this.eraseSector(s);
    this.eraseOpsDone++;
    if (mode === "after") this.cut();
    return OK;
  }

  // ---- power ----

  /** Cut power during the plan.atOp-th program/erase from now. Replaces an earlier plan. */
  arm(plan: PowerCutPlan): void {
    if (!Number.isInteger(plan.atOp) || plan.atOp < 1) {
      throw new Error(`power cut index ${plan.atOp} is not valid: operations count from 1`);
    }
    if (!POWER_CUT_MODES.includes(plan.mode)) {
      throw new Error(`power cut mode "${plan.mode}" is not one of ${POWER_CUT_MODES.join(", ")}`);
    }
    this.plan = { atOp: plan.atOp, mode: plan.mode, seed: plan.seed ?? 0 };
    this.opsSinceArm = 0;
  }

  /** Cancel an armed cut that has not fired. */
  disarm(): void {
    this.plan = null;
  }

  /** True while a cut is armed and has not fired yet. */
  get armed(): boolean {
    return this.plan !== null;
  }

  /** True between a power cut and the next powerOn(). */
  get poweredOff(): boolean {
    return this.off;
  }

  /** Power comes back: the part accepts operations again (its contents are what the cut left). */
  powerOn(): void {
    this.off = false;
  }

  // ---- wear and statistics ----

  /** Program plus erase operations performed (a torn one counts; one cut before start does not). */
  get operations(): number {
    return this.programOpsDone + this.eraseOpsDone;
  }

  get programOperations(): number {
    return this.programOpsDone;
  }

  get eraseOperations(): number {
    return this.eraseOpsDone;
  }

  get sectorCount(): number {
    return this.sectorBounds.length - 1;
  }

  /** Times each sector was erased (a torn erase wears the sector too). */
  eraseCounts(): Uint32Array {
    return this.eraseCountsBySector.slice();
  }

  /** Start address and size of sector `index`. */
  sector(index: number): { offset: number; size: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.sectorCount) {
      throw new RangeError(`sector ${index} does not exist (the part has ${this.sectorCount})`);
    }
    const offset = this.sectorBounds[index]!;
    return { offset, size: this.sectorBounds[index + 1]! - offset };
  }

  /** Index of the sector that contains addr. */
  sectorIndexOf(addr: number): number {
    if (!Number.isInteger(addr) || addr < 0 || addr >= this.size) {
      throw new RangeError(`address ${addr} is outside the ${this.size}-byte part`);
    }
    let lo = 0;
    let hi = this.sectorCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.sectorBounds[mid]! <= addr) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---- test and persistence probes (a debugger on the chip: no power check, no counting) ----

  /** A copy of [addr, addr + len), readable even while the part is off. */
  dump(addr = 0, len = this.size - addr): Uint8Array {
    if (!this.inRange(addr, len)) {
      throw new RangeError(`dump of ${len} bytes at ${addr} is outside the ${this.size}-byte part`);
    }
    return this.bytes.slice(addr, addr + len);
  }

  /** True if the write unit holding addr was programmed since its last erase. */
  isProgrammedAt(addr: number): boolean {
    if (!this.inRange(addr, 1)) throw new RangeError(`address ${addr} is outside the part`);
    return this.isProgrammed(Math.floor(addr / this.writeUnit));
  }

  /** Everything a device file must keep (copies). */
  state(): NorFlashState {
    return {
      bytes: this.bytes.slice(),
      programmedUnits: this.programmedUnits.slice(),
      eraseCounts: this.eraseCountsBySector.slice(),
      programOps: this.programOpsDone,
      eraseOps: this.eraseOpsDone,
    };
  }

  /** An identical, powered-on, unarmed part (a device cloned for one run of a sweep). */
  clone(): NorFlash {
    return new NorFlash(this.geometry, this.state());
  }

  // ---- internals ----

  private inRange(addr: number, len: number): boolean {
    return (
      Number.isInteger(addr) &&
      Number.isInteger(len) &&
      addr >= 0 &&
      len >= 0 &&
      addr + len <= this.size
    );
  }

  /** Index of the sector starting exactly at addr (the end of the part counts), else -1. */
  private sectorStartingAt(addr: number): number {
    if (addr === this.size) return this.sectorCount;
    const s = this.sectorIndexOf(addr);
    return this.sectorBounds[s] === addr ? s : -1;
  }

  private isProgrammed(unit: number): boolean {
    return (this.programmedUnits[unit >> 3]! & (1 << (unit & 7))) !== 0;
  }

  private markProgrammed(unit: number, programmed: boolean): void {
    const bit = 1 << (unit & 7);
    if (programmed) this.programmedUnits[unit >> 3]! |= bit;
    else this.programmedUnits[unit >> 3]! &= ~bit;
  }

  private unitReadsErased(unit: number): boolean {
    const start = unit * this.writeUnit;
    for (let i = start; i < start + this.writeUnit; i++) {
      if (this.bytes[i] !== this.erasedValue) return false;
    }
    return true;
  }

  private eraseSector(s: number): void {
    const { offset, size } = this.sector(s);
    this.bytes.fill(this.erasedValue, offset, offset + size);
    const first = offset / this.writeUnit;
    for (let u = first; u < first + size / this.writeUnit; u++) this.markProgrammed(u, false);
    this.eraseCountsBySector[s]!++;
  }

  /** Counts a valid program/erase and says how an armed cut treats it (null: not this one). */
  private countOperation(): PowerCutMode | null {
    if (this.plan === null) return null;
    this.opsSinceArm++;
    return this.opsSinceArm === this.plan.atOp ? this.plan.mode : null;
  }

  private cut(): never {
    const plan = this.plan;
    this.plan = null;
    this.off = true;
    throw new PowerCutError(
      `simulated power cut ${plan?.mode} flash operation ${plan?.atOp} (seed ${plan?.seed})`,
      plan,
    );
  }

  private refuseWhenOff(): void {
    if (this.off) {
      throw new PowerCutError("flash is powered off: call powerOn() before using it", null);
    }
  }

  private tearRandom(): () => number {
    // The seed and the operation index together pick the tear, so one seed tears each index
    // differently but always the same way.
    const plan = this.plan!;
    return seededRandom(Math.imul((plan.seed ?? 0) ^ 0x9e3779b9, 31) + plan.atOp);
  }

  /** Units before `done` fully programmed, unit `done` partly (NOR moves bits one way only). */
  private tearProgram(firstUnit: number, units: number, data: Uint8Array): void {
    const random = this.tearRandom();
    const done = Math.floor(random() * units);
    const wu = this.writeUnit;
    for (let u = 0; u < done; u++) {
      this.bytes.set(data.subarray(u * wu, (u + 1) * wu), (firstUnit + u) * wu);
      this.markProgrammed(firstUnit + u, true);
    }
    const unit = firstUnit + done;
    for (let i = 0; i < wu; i++) {
      const flipping = (data[done * wu + i]! ^ this.erasedValue) & Math.floor(random() * 256);
      this.bytes[unit * wu + i] = this.erasedValue ^ flipping;
    }
    this.markProgrammed(unit, !this.unitReadsErased(unit));
  }

  /** Sectors before `done` erased, sector `done` left part erased, part old, part random. */
  private tearErase(first: number, end: number): void {
    const random = this.tearRandom();
    const done = first + Math.floor(random() * (end - first));
    for (let s = first; s < done; s++) this.eraseSector(s);
    const { offset, size } = this.sector(done);
    const style = Math.floor(random() * 3);
    if (style === 0) {
      // erased up to a point, old contents after it
      const cut = Math.floor(random() * size);
      this.bytes.fill(this.erasedValue, offset, offset + cut);
    } else {
      // each byte erased, kept, or garbage (parts pre-program cells before erasing them)
      for (let i = offset; i < offset + size; i++) {
        const r = random();
        if (r < 0.4) this.bytes[i] = this.erasedValue;
        else if (r < 0.6 || style === 1) continue;
        else this.bytes[i] = Math.floor(random() * 256);
      }
    }
    const firstUnit = offset / this.writeUnit;
    for (let u = firstUnit; u < firstUnit + size / this.writeUnit; u++) {
      this.markProgrammed(u, !this.unitReadsErased(u));
    }
    this.eraseCountsBySector[done]!++;
  }
}
