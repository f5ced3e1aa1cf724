import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDevice, saveDevice, DeviceFileError } from "../host-sim/device-file.js";
import { boardVariant, loadBoard } from "../host-sim/boards.js";
import { NorFlash } from "../host-sim/flash.js";
import { ERR_FLASH_NOT_ERASED, OK } from "../assembly/status.js";

const dir = () => mkdtempSync(join(tmpdir(), "airlock-device-"));

function usedDevice() {
  const board = boardVariant(loadBoard("stm32f4"), { writeUnit: 8, erasedValue: 0 });
  const flash = new NorFlash(board.flash);
  flash.program(0x8000, Uint8Array.from({ length: 64 }, (_, i) => i + 1));
  flash.erase(0x20000, 0x20000);
  return { board, flash, counters: { powerOns: 3 } };
}

describe("device file", () => {
  it("round-trips flash contents, programmed marks, wear, counters and the board", () => {
    const path = join(dir(), "dev.bin");
    const device = usedDevice();
    saveDevice(path, device);
    const loaded = loadDevice(path);
    expect(loaded.board).toEqual(device.board);
    expect(loaded.counters).toEqual({ powerOns: 3 });
    expect(loaded.flash.dump()).toEqual(device.flash.dump());
    expect(loaded.flash.eraseCounts()).toEqual(device.flash.eraseCounts());
    expect(loaded.flash.operations).toBe(2);
    // the unit programmed before saving is still not erased after loading
    expect(loaded.flash.program(0x8000, new Uint8Array(8))).toBe(ERR_FLASH_NOT_ERASED);
    expect(loaded.flash.program(0x8040, new Uint8Array(8))).toBe(OK);
  });

  it("replaces the file by rename and leaves no temporary file behind", () => {
    const d = dir();
    const path = join(d, "dev.bin");
    const device = usedDevice();
    saveDevice(path, device);
    device.flash.program(0x8040, new Uint8Array(8).fill(9));
    saveDevice(path, device);
    expect(readdirSync(d)).toEqual(["dev.bin"]);
    expect(loadDevice(path).flash.dump(0x8040, 8)).toEqual(new Uint8Array(8).fill(9));
  });

  it("refuses a missing, foreign, altered, truncated or newer file with the cause and the fix", () => {
    const d = dir();
    const path = join(d, "dev.bin");
    expect(() => loadDevice(join(d, "none.bin"))).toThrow(/does not exist; create it with `airlock sim init/);
    writeFileSync(join(d, "foreign.bin"), "hello world, this is not a device file at all......");
    expect(() => loadDevice(join(d, "foreign.bin"))).toThrow(/not an airlock device file/);
    saveDevice(path, usedDevice());
    const good = readFileSync(path);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 1;
    writeFileSync(path, flipped);
    expect(() => loadDevice(path)).toThrow(DeviceFileError);
    expect(() => loadDevice(path)).toThrow(/corrupt .*checksum/);
    writeFileSync(path, good.subarray(0, good.length - 1));
    expect(() => loadDevice(path)).toThrow(/corrupt/);
    const newer = Buffer.from(good);
    newer.writeUInt32LE(99, 8);
    writeFileSync(path, newer);
    expect(() => loadDevice(path)).toThrow(/format version 99/);
    expect(existsSync(path)).toBe(true);
  });
});
