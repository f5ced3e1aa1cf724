import { describe, expect, it } from "vitest";
import { NorFlash, PowerCutError, type FlashGeometry, type PowerCutMode } from "../host-sim/flash.js";
import { OK, ERR_FLASH_NOT_ERASED } from "../assembly/status.js";

const geometry = (writeUnit = 4, erasedValue = 0xff): FlashGeometry => ({
  writeUnit,
  erasedValue,
  sectors: [{ size: 256, count: 4 }, { size: 1024, count: 2 }],
});

const pattern = (len: number, salt = 0) =>
  Uint8Array.from({ length: len }, (_, i) => (i * 7 + 3 + salt) & 0xff || 0x5a);

/** Runs f and returns the PowerCutError it throws (fails the test if it returns normally). */
function expectCut(f: () => unknown): PowerCutError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PowerCutError);
    return e as PowerCutError;
  }
  throw new Error("expected a power cut");
}

describe("power cut injection", () => {
  it("counts program and erase operations from the arm() call, 1-based", () => {
    const f = new NorFlash(geometry());
    f.program(0, pattern(4)); // before arming: not counted toward the cut
    f.arm({ atOp: 3, mode: "after" });
    expect(f.program(4, pattern(4))).toBe(OK);
    expect(f.read(0, new Uint8Array(8))).toBe(OK); // reads are not operations
    expect(f.program(4, pattern(4))).toBe(ERR_FLASH_NOT_ERASED); // refused ops do not count
    expect(f.erase(256, 256)).toBe(OK);
    const cut = expectCut(() => f.program(8, pattern(4)));
    expect(cut.plan).toMatchObject({ atOp: 3, mode: "after" });
    expect(f.operations).toBe(4);
  });

  it("'before' leaves the interrupted operation undone", () => {
    const f = new NorFlash(geometry());
    f.program(0, pattern(16));
    const snapshot = f.dump();
    f.arm({ atOp: 1, mode: "before" });
    expectCut(() => f.erase(0, 256));
    expect(f.dump()).toEqual(snapshot);
    expect(f.eraseCounts()[0]).toBe(0);
    f.powerOn();
    f.arm({ atOp: 1, mode: "before" });
    expectCut(() => f.program(16, pattern(16)));
    expect(f.dump()).toEqual(snapshot);
    f.powerOn();
    expect(f.program(16, pattern(16))).toBe(OK); // the unit is still erased
  });

  it("'after' completes the operation, then cuts", () => {
    const f = new NorFlash(geometry());
    f.arm({ atOp: 1, mode: "after" });
    expectCut(() => f.program(32, pattern(32)));
    expect(f.dump(32, 32)).toEqual(pattern(32));
    f.powerOn();
    f.arm({ atOp: 1, mode: "after" });
    expectCut(() => f.erase(0, 256));
    expect(f.dump(0, 256).every((b) => b === 0xff)).toBe(true);
    expect(f.eraseCounts()[0]).toBe(1);
  });

  it("refuses every operation while off and works again after powerOn()", () => {
    const f = new NorFlash(geometry());
    f.arm({ atOp: 1, mode: "before" });
    expectCut(() => f.erase(0, 256));
    expect(f.poweredOff).toBe(true);
    expect(expectCut(() => f.read(0, new Uint8Array(4))).plan).toBeNull();
    expectCut(() => f.program(0, pattern(4)));
    expectCut(() => f.erase(0, 256));
    f.powerOn();
    expect(f.poweredOff).toBe(false);
    expect(f.armed).toBe(false); // a cut fires once
    expect(f.program(0, pattern(4))).toBe(OK);
  });

  it("rejects a cut index below 1 and an unknown mode", () => {
    const f = new NorFlash(geometry());
    expect(() => f.arm({ atOp: 0, mode: "torn" })).toThrow(/count from 1/);
    expect(() => f.arm({ atOp: 1, mode: "sideways" as PowerCutMode })).toThrow(/not one of/);
  });

  for (const erased of [0xff, 0x00]) {
    it(`a torn program leaves a prefix of units written and one unit partly (erased 0x${erased.toString(16)})`, () => {
      const len = 64;
      const data = pattern(len);
      const outcomes = new Set<number>();
      for (let seed = 0; seed < 40; seed++) {
        const f = new NorFlash(geometry(4, erased));
        f.arm({ atOp: 1, mode: "torn", seed });
        expectCut(() => f.program(0, data));
        const after = f.dump(0, len);
        // units fully written form a prefix; the next unit holds only bits moved away from erased
        let done = 0;
        while (done < len / 4 && after.subarray(done * 4, done * 4 + 4).every((b, i) => b === data[done * 4 + i])) done++;
        for (let i = done * 4; i < Math.min(len, done * 4 + 4); i++) {
          const moved = after[i]! ^ erased;
          expect(moved & ~(data[i]! ^ erased)).toBe(0);
        }
        for (let i = (done + 1) * 4; i < len; i++) expect(after[i]).toBe(erased);
        // the units the tear never reached may be programmed again; the written ones may not
        f.powerOn();
        if (done + 1 < len / 4) expect(f.program((done + 1) * 4, pattern(4))).toBe(OK);
        if (done > 0) expect(f.program(0, pattern(4))).toBe(ERR_FLASH_NOT_ERASED);
        outcomes.add(done);
      }
      expect(outcomes.size).toBeGreaterThan(5); // seeds tear at different points
    });
  }

  it("a torn erase finishes earlier sectors and leaves one sector neither old nor erased", () => {
    const data = pattern(1024);
    const styles = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const f = new NorFlash(geometry());
      f.program(0, data); // sectors 0..3 (256 bytes each)
      f.arm({ atOp: 1, mode: "torn", seed });
      expectCut(() => f.erase(0, 1024));
      let s = 0;
      while (s < 4 && f.dump(s * 256, 256).every((b) => b === 0xff)) s++;
      for (let later = s + 1; later < 4; later++) {
        expect(f.dump(later * 256, 256)).toEqual(data.subarray(later * 256, later * 256 + 256));
      }
      if (s < 4) {
        const torn = f.dump(s * 256, 256);
        const old = data.subarray(s * 256, s * 256 + 256);
        const erasedOrOld = torn.every((b, i) => b === 0xff || b === old[i]);
        styles.add(erasedOrOld ? "erased-or-old" : "garbage");
        // the torn sector must be erased again before its non-erased units are programmed
        f.powerOn();
        const dirty = Array.from({ length: 64 }, (_, u) => u).find((u) => !torn.subarray(u * 4, u * 4 + 4).every((b) => b === 0xff));
        if (dirty !== undefined) expect(f.program(s * 256 + dirty * 4, pattern(4))).toBe(ERR_FLASH_NOT_ERASED);
      }
      const counts = f.eraseCounts();
      expect(counts.slice(0, s + 1).every((c) => c === 1) || s === 4).toBe(true);
    }
    expect(styles).toEqual(new Set(["erased-or-old", "garbage"]));
  });

  it("tears the same way for the same seed and differently for other seeds", () => {
    const run = (seed: number) => {
      const f = new NorFlash(geometry(1));
      f.program(0, pattern(1024));
      f.arm({ atOp: 2, mode: "torn", seed });
      f.erase(1024, 1024);
      expectCut(() => f.erase(0, 1024));
      f.powerOn();
      return { bytes: f.dump(), counts: f.eraseCounts() };
    };
    expect(run(7)).toEqual(run(7));
    const distinct = new Set([1, 2, 3, 4, 5, 6].map((s) => Buffer.from(run(s).bytes).toString("hex")));
    expect(distinct.size).toBeGreaterThan(3);
    const prog = (seed: number) => {
      const f = new NorFlash(geometry(1, 0x00));
      f.arm({ atOp: 1, mode: "torn", seed });
      expectCut(() => f.program(100, pattern(500)));
      return f.dump();
    };
    expect(prog(42)).toEqual(prog(42));
    expect(prog(42)).not.toEqual(prog(43));
  });
});
