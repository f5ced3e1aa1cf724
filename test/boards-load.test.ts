import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIN_METADATA_BANK_BYTES } from "../assembly/limits.js";
import {
  BOARD_DIR,
  DEFAULT_BOARD,
  boardVariant,
  listBoards,
  loadBoard,
  targetSlots,
  validateBoard,
} from "../host-sim/boards.js";
import { NorFlash } from "../host-sim/flash.js";

const KiB = 1024;
const MiB = 1024 * KiB;

function boardWith(edit: (b: any) => void): unknown {
  const b = JSON.parse(readFileSync(join(BOARD_DIR, "nrf52840.json"), "utf8"));
  edit(b);
  return b;
}

describe("boards", () => {
  it("ships the three reference boards, nrf52840 by default", () => {
    expect(listBoards()).toEqual(expect.arrayContaining(["nrf52840", "rp2040", "stm32f4"]));
    expect(DEFAULT_BOARD).toBe("nrf52840");
    expect(loadBoard().name).toBe("nrf52840");
  });

  it("describes each part's real geometry", () => {
    const nrf = loadBoard("nrf52840");
    expect(nrf.flash).toEqual({ writeUnit: 4, erasedValue: 0xff, sectors: [{ size: 4 * KiB, count: 256 }] });
    const stm = loadBoard("stm32f4");
    expect(stm.flash.sectors).toEqual([
      { size: 16 * KiB, count: 4 },
      { size: 64 * KiB, count: 1 },
      { size: 128 * KiB, count: 7 },
    ]);
    expect(new NorFlash(stm.flash).size).toBe(1 * MiB);
    const rp = loadBoard("rp2040");
    expect(rp.flash.writeUnit).toBe(1);
    expect(new NorFlash(rp.flash).size).toBe(16 * MiB);
  });

  it("gives every board an app target, two metadata sectors and staging for a full slot", () => {
    for (const name of listBoards()) {
      const board = loadBoard(name);
      const flash = new NorFlash(board.flash);
      const app = targetSlots(board, "app");
      const { metadata, staging } = board.partitions;
      const first = flash.sectorIndexOf(metadata.offset);
      const last = flash.sectorIndexOf(metadata.offset + metadata.size - 1);
      expect(last - first + 1, name).toBeGreaterThanOrEqual(2);
      expect(staging.size, name).toBeGreaterThan(app.slotSize);
    }
  });

  it("names the board and the fix for an unknown board", () => {
    expect(() => loadBoard("esp32")).toThrow(/unknown board "esp32": known boards are .*nrf52840.*add esp32.json/);
    expect(() => loadBoard("../etc/passwd")).toThrow(/unknown board/);
  });

  it("loads a board from a path ending in .json, and names the file when it cannot", () => {
    const dir = mkdtempSync(join(tmpdir(), "airlock-boards-"));
    const own = join(dir, "my-board.json");
    writeFileSync(own, JSON.stringify(boardWith(() => {})));
    expect(loadBoard(own)).toEqual(loadBoard("nrf52840"));
    expect(() => loadBoard(join(dir, "absent.json"))).toThrow(/board file .*absent\.json: cannot read it \(ENOENT\); give a board JSON file or one of the board names .*nrf52840/);
    writeFileSync(join(dir, "broken.json"), "{ not json");
    expect(() => loadBoard(join(dir, "broken.json"))).toThrow(/board file .*broken\.json is not valid JSON/);
    writeFileSync(join(dir, "odd.json"), JSON.stringify(boardWith((b) => void (b.flash = "x" as never))));
    expect(() => loadBoard(join(dir, "odd.json"))).toThrow(/board file .*odd\.json/);
  });

  it("refuses a board file whose name field disagrees with its file name", () => {
    const dir = mkdtempSync(join(tmpdir(), "airlock-boards-"));
    writeFileSync(join(dir, "mine.json"), JSON.stringify(boardWith(() => {})));
    expect(() => loadBoard("mine", dir)).toThrow(/board "mine".*says "nrf52840"/);
    writeFileSync(join(dir, "broken.json"), "{ not json");
    expect(() => loadBoard("broken", dir)).toThrow(/board "broken".*not valid JSON/);
  });

  const invalid: [string, (b: any) => void, RegExp][] = [
    ["misaligned partition", (b) => (b.partitions.metadata.offset += 512), /metadata .* sector boundaries/],
    ["overlap", (b) => (b.partitions.staging.offset = b.partitions.targets[0].slotB), /overlaps/],
    ["past the end", (b) => (b.partitions.staging.size = 4 * MiB), /ends past the/],
    ["one metadata sector", (b) => (b.partitions.metadata.size = 4096), /at least two sectors/],
    // Two 4 KiB sectors: banks of 4096 bytes, below the agent's MIN_METADATA_BANK_BYTES (6272).
    ["metadata banks the record store cannot use", (b) => (b.partitions.metadata.size = 8192), new RegExp(`each of its two banks 4096 bytes; the record store needs at least ${MIN_METADATA_BANK_BYTES} per bank`)],
    ["small staging", (b) => (b.partitions.staging.size = b.partitions.targets[0].slotSize), /cannot hold a bundle/],
    ["no app", (b) => (b.partitions.targets[0].name = "radio"), /no target is named "app"/],
    ["long name", (b) => (b.partitions.targets[0].name = "a".repeat(33)), /1 to 32 bytes/],
    ["long hardware id", (b) => (b.hardwareId = "x".repeat(33)), /hardwareId .* 32 bytes/],
    ["write unit", (b) => (b.flash.writeUnit = 3), /write unit 3/],
    ["erased value", (b) => (b.flash.erasedValue = 1), /erased value 1/],
    ["too many runs", (b) => (b.flash.sectors = Array.from({ length: 9 }, () => ({ size: 4096, count: 1 }))), /at most 8/],
    ["negative offset", (b) => (b.partitions.metadata.offset = -4096), /unsigned 32-bit/],
    ["five targets", (b) => (b.partitions.targets = Array.from({ length: 5 }, (_, i) => ({ ...b.partitions.targets[0], name: `t${i}` }))), /at most 4/],
    ["duplicate target", (b) => b.partitions.targets.push({ ...b.partitions.targets[0] }), /listed twice/],
    ["a target named user_manifest (reserved)", (b) => b.partitions.targets.push({ ...b.partitions.targets[0], name: "user_manifest" }), /"user_manifest" is reserved for the bundle's user manifest/],
  ];
  for (const [what, edit, message] of invalid) {
    it(`rejects a board with ${what}`, () => {
      expect(() => validateBoard(boardWith(edit), 'board "test"')).toThrow(message);
      expect(() => validateBoard(boardWith(edit), 'board "test"')).toThrow(/^board "test": /);
    });
  }

  it("derives variants with another write unit or erased value, keeping the layout", () => {
    const base = loadBoard("stm32f4");
    const v = boardVariant(base, { writeUnit: 16, erasedValue: 0x00 });
    expect(v.name).toBe("stm32f4+wu16+erased00");
    expect(v.flash.writeUnit).toBe(16);
    expect(v.flash.erasedValue).toBe(0);
    expect(v.partitions).toEqual(base.partitions);
    expect(base.flash.writeUnit).toBe(4); // the original is untouched
    expect(boardVariant(v, { writeUnit: 1 }).name).toBe("stm32f4+wu1+erased00");
    expect(() => boardVariant(base, { writeUnit: 6 })).toThrow(/write unit 6/);
  });
});
