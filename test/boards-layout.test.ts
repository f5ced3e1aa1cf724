import { describe, expect, it } from "vitest";
import { encodeLayout, layoutSize } from "../host-sim/layout.js";
import { boardVariant, listBoards, loadBoard } from "../host-sim/boards.js";
import { IO_WINDOW_BYTES, LAYOUT_MAGIC, LAYOUT_VERSION, MAX_TARGET_NAME } from "../assembly/limits.js";

describe("layout descriptor", () => {
  it("encodes the STM32F4 board field by field", () => {
    const board = loadBoard("stm32f4");
    const bytes = encodeLayout(board);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(v.getUint32(0, true)).toBe(LAYOUT_MAGIC);
    expect(Buffer.from(bytes.subarray(0, 4)).toString("ascii")).toBe("ALAY");
    expect(bytes[4]).toBe(LAYOUT_VERSION);
    expect(bytes[5]).toBe(4); // write unit
    expect(bytes[6]).toBe(0xff); // erased value
    expect(bytes[7]).toBe(3); // sector runs
    expect(bytes[8]).toBe(1); // targets
    expect(bytes[9]).toBe("st,stm32f407".length);
    expect(v.getUint8(10)).toBe(1); // trial boots: the default one power-on
    expect(v.getUint8(11)).toBe(0);
    const words = (at: number, n: number) => Array.from({ length: n }, (_, i) => v.getUint32(at + 4 * i, true));
    expect(words(12, 6)).toEqual([16384, 4, 65536, 1, 131072, 7]);
    expect(words(36, 4)).toEqual([32768, 32768, 655360, 393216]); // metadata, staging
    const name = bytes.subarray(52, 52 + MAX_TARGET_NAME);
    expect(Buffer.from(name.subarray(0, 3)).toString()).toBe("app");
    expect(name.subarray(3).every((b) => b === 0)).toBe(true);
    expect(words(52 + MAX_TARGET_NAME, 3)).toEqual([131072, 393216, 262144]);
    const idAt = 52 + MAX_TARGET_NAME + 12;
    expect(Buffer.from(bytes.subarray(idAt)).toString()).toBe("st,stm32f407");
    expect(bytes.length).toBe(idAt + 12);
    expect(layoutSize(board)).toBe(bytes.length);
  });

  it("carries a variant's write unit and erased value", () => {
    const v = boardVariant(loadBoard("nrf52840"), { writeUnit: 16, erasedValue: 0 });
    const bytes = encodeLayout(v);
    expect(bytes[5]).toBe(16);
    expect(bytes[6]).toBe(0);
  });

  it("fits every board's descriptor in the I/O window", () => {
    for (const name of listBoards()) expect(encodeLayout(loadBoard(name)).length).toBeLessThanOrEqual(IO_WINDOW_BYTES);
  });
});
