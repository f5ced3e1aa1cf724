// The board's memory bounds checks (wasm2c's, rewritten by board/native/fixed-memory-bounds.ts
// to compare against the board's short memory: the first 18 KiB of the one page) must keep
// wasm's semantics on the Cortex-M: an access that ends at the memory's last byte works, one that
// reaches one byte further traps and is reported by the runtime, including addresses whose
// 32-bit sum wraps around to a valid one, and anything between the short memory and the page's
// end (which would be valid in a 64 KiB memory). The
// agent never goes out of bounds on any input, so the probe module board/native/probe/
// oob-probe.wat, translated and compiled exactly as the agent is, makes the accesses on QEMU.
import { beforeAll, describe, expect, it } from "vitest";
import { buildFirmware, buildUncheckedProbe, firmwarePath, OPT_LEVELS } from "../board/native/build.js";
import { runFirmware, type FirmwareRun } from "../board/native/qemu.js";
import { BOARD_LINEAR_MEMORY_BYTES, QEMU_MACHINES } from "../board/native/machines.js";

const MACHINES = Object.keys(QEMU_MACHINES);
const OOB_TRAP = "FATAL wasm trap: out of bounds memory or table access";
const MEMORY = BOARD_LINEAR_MEMORY_BYTES;
const PAGE = 65536;

function probe(elf: string, machine: string, ...accesses: string[]): FirmwareRun {
  return runFirmware(machine, elf, 30_000, ["oob-probe", ...accesses]);
}

/** The value each completed access printed, in order, as `<export>=<16 hex digits>`. */
function results(run: FirmwareRun): string[] {
  return run.lines.filter((l) => l.startsWith("result ")).map((l) => l.replace(/^result (\S+) value=/, "$1="));
}

let uncheckedProbe = "";
beforeAll(() => {
  buildFirmware();
  uncheckedProbe = buildUncheckedProbe();
}, 180_000);

// Each access reaches exactly one byte past the page, or wraps around 2^32 to an address inside
// it (which a 32-bit compare that dropped the carry would let through).
// Each access reaches exactly one byte past the memory, or wraps around 2^32 to an address
// inside it (which a 32-bit compare that dropped the carry would let through), or lies inside
// the declared page but above the short memory.
const OUT_OF_BOUNDS: Array<[string, string]> = [
  [`load8:${MEMORY}`, "1-byte load of the first byte past the memory"],
  [`load32:${MEMORY - 3}`, "4-byte load whose last byte is past the memory"],
  [`load64:${MEMORY - 7}`, "8-byte load whose last byte is past the memory"],
  [`load8:${PAGE - 1}`, "1-byte load of the page's last byte (in a full page, not on this board)"],
  [`load32:${0xfffffffc}`, "4-byte load at 2^32 - 4 (wraps to 0 in 32 bits)"],
  ["load32_offset_max:0", "static offset 2^32 - 1"],
  ["load32_offset_max:1", "base 1 + static offset 2^32 - 1 (wraps to 0 in 32 bits)"],
  [`load32_offset_max:${0xffffffff}`, "largest base + largest static offset"],
  ["load32_offset_top:1", `static offset ${MEMORY - 4} with a base of 1`],
  [`store8:${MEMORY}:171`, "1-byte store past the memory"],
  [`store8:${PAGE - 1}:171`, "1-byte store to the page's last byte (in a full page, not on this board)"],
  [`store32:${MEMORY - 3}:171`, "4-byte store whose last byte is past the memory"],
  [`store64_offset_8:${MEMORY - 15}:171`, "8-byte store, static offset 8, last byte past the memory"],
  [`store64_offset_8:${0xfffffff8}:171`, "8-byte store at 2^32 - 8 + 8 (wraps to 0 in 32 bits)"],
  [`fill:${MEMORY}:0:1`, "memory.fill of one byte past the memory"],
  [`fill:0:0:${MEMORY + 1}`, "memory.fill of the whole memory and one byte more"],
  [`fill:0:0:${PAGE}`, "memory.fill of the whole declared page"],
  [`fill:16:0:${0xfffffff0}`, "memory.fill whose end wraps to 0 in 32 bits"],
  [`copy:0:${MEMORY}:1`, "memory.copy from past the memory"],
  [`copy:${MEMORY}:0:1`, "memory.copy to past the memory"],
  [`copy:0:16:${0xfffffff0}`, "memory.copy whose source end wraps to 0 in 32 bits"],
];

describe.each(MACHINES)("bounds checks on QEMU %s", (machine) => {
  describe.each(OPT_LEVELS)("at -%s", (opt) => {
    const elf = () => firmwarePath(machine, opt, "oob-probe");

    it("allows every access that ends at or before the memory's last byte", () => {
      const run = probe(
        elf(), machine,
        `load8:${MEMORY - 1}`, `load32:${MEMORY - 4}`, `load64:${MEMORY - 8}`, "load32_offset_top:0",
        `store8:${MEMORY - 1}:0xab`, `load8:${MEMORY - 1}`,
        `store64_offset_8:${MEMORY - 16}:0x01020304`, `load64:${MEMORY - 8}`,
        `copy:0:${MEMORY - 8}:8`, "load64:0",
        `fill:${MEMORY - 1}:0x5a:1`, `load8:${MEMORY - 1}`,
        `fill:${MEMORY}:0:0`, `copy:${MEMORY}:${MEMORY}:0`, `fill:0:0x11:${MEMORY}`, `load32:${MEMORY - 4}`,
      );
      expect(run.exitCode, run.lines.join("\n") + run.stderr).toBe(0);
      expect(results(run)).toEqual([
        "load8=00000000000000ff", // the data segment's last byte
        "load32=00000000fffefdfc",
        "load64=fffefdfcfbfaf9f8",
        "load32_offset_top=00000000fffefdfc",
        "store8=0000000000000000", "load8=00000000000000ab",
        "store64_offset_8=0000000000000000", "load64=0000000001020304",
        "copy=0000000000000000", "load64=0000000001020304",
        "fill=0000000000000000", "load8=000000000000005a",
        "fill=0000000000000000", "copy=0000000000000000", // zero bytes at the very end: allowed
        "fill=0000000000000000", "load32=0000000011111111",
      ]);
      expect(run.lines.at(-1)).toBe("probe done");
    });

    it.each(OUT_OF_BOUNDS)("traps on %s (%s) and reports it", (access) => {
      // An in-bounds access first, so a trap is seen to come from the bad access, not from setup.
      const run = probe(elf(), machine, "load32:0", access, "load8:0");
      expect(run.exitCode, run.lines.join("\n")).toBe(1);
      expect(results(run)).toEqual(["load32=0000000004030201"]);
      const name = access.split(":")[0];
      expect(run.lines.at(-2)).toMatch(new RegExp(`^call ${name} `));
      expect(run.lines.at(-1)).toBe(OOB_TRAP);
    });
  });
});

describe("the probe itself", () => {
  it("notices missing checks: compiled out, the same out-of-bounds loads complete", () => {
    // Diagnosis build (`make unchecked-probe`): were the checks ever lost, this is what the test
    // above would see instead of a trap. The first load reads the memory's last byte and one
    // byte of whatever RAM follows it (so its value is not checked); the second load's 32-bit
    // address wrapped to 0.
    const run = probe(uncheckedProbe, "mps2-an386", `load32:${MEMORY - 1}`, "load32_offset_max:1");
    expect(run.exitCode, run.lines.join("\n")).toBe(0);
    const [first, second] = results(run);
    expect(first).toMatch(/^load32=[0-9a-f]{14}ff$/); // its low byte is the memory's last byte
    expect(second).toBe("load32_offset_max=0000000004030201");
  });
});
