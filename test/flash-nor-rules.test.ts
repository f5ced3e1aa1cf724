import { describe, expect, it } from "vitest";
import { NorFlash, type FlashGeometry } from "../host-sim/flash.js";
import {
  OK,
  ERR_FLASH_EMPTY,
  ERR_FLASH_MISALIGNED,
  ERR_FLASH_NOT_ERASED,
  ERR_FLASH_NOT_SECTOR,
  ERR_FLASH_OUT_OF_RANGE,
} from "../assembly/status.js";

// Non-uniform like an STM32F4, scaled down: 2 x 256, 1 x 1024, 2 x 2048 bytes.
const geometry = (writeUnit = 4, erasedValue = 0xff): FlashGeometry => ({
  writeUnit,
  erasedValue,
  sectors: [
    { size: 256, count: 2 },
    { size: 1024, count: 1 },
    { size: 2048, count: 2 },
  ],
});
const SIZE = 2 * 256 + 1024 + 2 * 2048;

const bytes = (...v: number[]) => new Uint8Array(v);
const read = (f: NorFlash, addr: number, len: number) => {
  const dst = new Uint8Array(len);
  expect(f.read(addr, dst)).toBe(OK);
  return dst;
};

describe("NOR flash rules", () => {
  it("starts fully erased to the configured value and maps non-uniform sectors", () => {
    for (const erased of [0xff, 0x00]) {
      const f = new NorFlash(geometry(4, erased));
      expect(f.size).toBe(SIZE);
      expect(read(f, 0, SIZE).every((b) => b === erased)).toBe(true);
      expect(f.sectorCount).toBe(5);
      expect(f.sector(2)).toEqual({ offset: 512, size: 1024 });
      expect(f.sector(4)).toEqual({ offset: 3584, size: 2048 });
      expect(f.sectorIndexOf(511)).toBe(1);
      expect(f.sectorIndexOf(512)).toBe(2);
      expect(f.sectorIndexOf(SIZE - 1)).toBe(4);
    }
  });

  it("programs aligned write units and reads them back", () => {
    const f = new NorFlash(geometry());
    expect(f.program(8, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toBe(OK);
    expect(read(f, 6, 12)).toEqual(bytes(0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff));
    expect(f.programOperations).toBe(1);
  });

  it("refuses to program a unit twice without an erase, even with identical or erased bytes", () => {
    const f = new NorFlash(geometry());
    expect(f.program(0, bytes(0xff, 0xff, 0xff, 0xff))).toBe(OK);
    expect(f.program(0, bytes(0xff, 0xff, 0xff, 0xff))).toBe(ERR_FLASH_NOT_ERASED);
    expect(f.program(4, bytes(1, 2, 3, 4))).toBe(OK);
    // a two-unit program overlapping one programmed unit changes nothing at all
    expect(f.program(8, bytes(9, 9, 9, 9))).toBe(OK);
    expect(f.program(12, bytes(7, 7, 7, 7, 7, 7, 7, 7))).toBe(OK);
    expect(f.program(16, bytes(5, 5, 5, 5, 6, 6, 6, 6))).toBe(ERR_FLASH_NOT_ERASED);
    expect(read(f, 16, 8)).toEqual(bytes(7, 7, 7, 7, 0xff, 0xff, 0xff, 0xff));
    expect(f.programOperations).toBe(4);
    expect(f.erase(0, 256)).toBe(OK);
    expect(f.program(4, bytes(1, 2, 3, 4))).toBe(OK);
  });

  it("refuses programs whose address or length is not a multiple of the write unit", () => {
    for (const wu of [2, 4, 8, 16, 32]) {
      const f = new NorFlash(geometry(wu));
      expect(f.program(1, new Uint8Array(wu))).toBe(ERR_FLASH_MISALIGNED);
      expect(f.program(0, new Uint8Array(wu + 1))).toBe(ERR_FLASH_MISALIGNED);
      expect(f.program(wu, new Uint8Array(wu))).toBe(OK);
      expect(read(f, 0, wu).every((b) => b === 0xff)).toBe(true);
    }
    const byteWise = new NorFlash(geometry(1));
    expect(byteWise.program(3, bytes(1, 2, 3))).toBe(OK);
  });

  it("erases whole sectors only, one or several, across runs of different sizes", () => {
    const f = new NorFlash(geometry());
    f.program(256, new Uint8Array(1280).fill(0x11)); // sector 1 and sector 2
    expect(f.erase(256, 128)).toBe(ERR_FLASH_NOT_SECTOR); // half a sector
    expect(f.erase(300, 256)).toBe(ERR_FLASH_NOT_SECTOR); // misaligned start
    expect(f.erase(256, 512)).toBe(ERR_FLASH_NOT_SECTOR); // ends inside sector 2
    expect(read(f, 256, 1280).every((b) => b === 0x11)).toBe(true);
    expect(f.erase(256, 256 + 1024)).toBe(OK);
    expect(read(f, 256, 1280).every((b) => b === 0xff)).toBe(true);
    expect(Array.from(f.eraseCounts())).toEqual([0, 1, 1, 0, 0]);
    expect(f.erase(SIZE - 2048, 2048)).toBe(OK);
    expect(Array.from(f.eraseCounts())).toEqual([0, 1, 1, 0, 1]);
    expect(f.eraseOperations).toBe(2);
  });

  it("uses the configured erased value, 0x00 included", () => {
    const f = new NorFlash(geometry(4, 0x00));
    f.program(0, bytes(0xaa, 0xbb, 0xcc, 0xdd));
    f.erase(0, 256);
    expect(read(f, 0, 4)).toEqual(bytes(0, 0, 0, 0));
  });

  it("returns distinct errors for out-of-range and empty operations and changes nothing", () => {
    const f = new NorFlash(geometry());
    expect(f.read(SIZE - 2, new Uint8Array(4))).toBe(ERR_FLASH_OUT_OF_RANGE);
    expect(f.read(-4, new Uint8Array(4))).toBe(ERR_FLASH_OUT_OF_RANGE);
    expect(f.read(SIZE, new Uint8Array(0))).toBe(OK);
    expect(f.program(SIZE, bytes(1, 2, 3, 4))).toBe(ERR_FLASH_OUT_OF_RANGE);
    expect(f.program(SIZE - 4, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toBe(ERR_FLASH_OUT_OF_RANGE);
    expect(f.erase(SIZE - 2048, 4096)).toBe(ERR_FLASH_OUT_OF_RANGE);
    expect(f.erase(1.5, 256)).toBe(ERR_FLASH_OUT_OF_RANGE);
    expect(f.program(0, new Uint8Array(0))).toBe(ERR_FLASH_EMPTY);
    expect(f.erase(0, 0)).toBe(ERR_FLASH_EMPTY);
    const codes = new Set([
      ERR_FLASH_OUT_OF_RANGE, ERR_FLASH_MISALIGNED, ERR_FLASH_NOT_ERASED, ERR_FLASH_NOT_SECTOR, ERR_FLASH_EMPTY,
    ]);
    expect(codes.size).toBe(5);
    for (const c of codes) expect(c).toBeLessThan(0);
    expect(f.operations).toBe(0);
    expect(Array.from(f.eraseCounts())).toEqual([0, 0, 0, 0, 0]);
    expect(f.dump().every((b) => b === 0xff)).toBe(true);
  });

  it("rejects unsupported geometries with the reason", () => {
    expect(() => new NorFlash({ ...geometry(), writeUnit: 3 })).toThrow(/write unit 3/);
    expect(() => new NorFlash({ ...geometry(), writeUnit: 64 })).toThrow(/write unit 64/);
    expect(() => new NorFlash({ ...geometry(), erasedValue: 0x80 })).toThrow(/erased value 128/);
    expect(() => new NorFlash({ ...geometry(), sectors: [] })).toThrow(/empty/);
    expect(() => new NorFlash({ ...geometry(8), sectors: [{ size: 100, count: 2 }] })).toThrow(/multiple of the write unit/);
  });

  it("clones into an independent part with the same contents, marks and wear", () => {
    const f = new NorFlash(geometry());
    f.program(0, bytes(1, 2, 3, 4));
    f.erase(512, 1024);
    const c = f.clone();
    expect(c.dump()).toEqual(f.dump());
    expect(c.program(0, bytes(5, 6, 7, 8))).toBe(ERR_FLASH_NOT_ERASED);
    expect(c.eraseCounts()).toEqual(f.eraseCounts());
    expect(c.operations).toBe(2);
    c.program(4, bytes(9, 9, 9, 9));
    expect(read(f, 4, 4)).toEqual(bytes(0xff, 0xff, 0xff, 0xff));
  });
});
