// The firmware ELF reader (tools/build/elf.ts) against the toolchain's own tools on a small
// bare-metal firmware built here with arm-none-eabi-gcc: the slot image must be byte for byte
// what `objcopy -O binary --gap-fill 0xff` makes, the symbols what `nm` lists, the entry point
// what `readelf -h` says. Damaged files are input errors, never crashes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EM_ARM, parseElf, slotImage, symbolBytes } from "../tools/build/index.js";
import { InputError } from "../tools/format/index.js";
import { buildFirmwareElf } from "./helpers/firmware-elf.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-elf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let elfPath = "";

beforeAll(() => {
  elfPath = buildFirmwareElf(dir, "fw", { banner: "DEBUG BUILD" });
  execFileSync("arm-none-eabi-objcopy", ["-O", "binary", "--gap-fill", "0xff", elfPath, join(dir, "fw.bin")]);
});

describe("firmware ELF reader", () => {
  it("makes the slot image objcopy makes, from the load addresses (.data after .text in flash)", () => {
    const elf = parseElf(readFileSync(elfPath), "fw.elf");
    expect(elf.machine).toBe(EM_ARM);
    const image = slotImage(elf, "fw.elf");
    expect(image.loadAddress).toBe(0x08004000);
    expect(Buffer.compare(Buffer.from(image.bytes), readFileSync(join(dir, "fw.bin")))).toBe(0);
    const data = elf.segments.find((s) => s.runAddress === 0x20000000);
    expect(data, "the .data segment runs from RAM").toBeDefined();
    expect(data!.loadAddress).toBeGreaterThan(0x08004000); // and is loaded from flash
  });

  it("reads the entry point readelf reads and the symbols nm lists", () => {
    const elf = parseElf(readFileSync(elfPath), "fw.elf");
    const readelf = execFileSync("arm-none-eabi-readelf", ["-h", elfPath], { encoding: "utf8" });
    expect(elf.entry).toBe(Number(/Entry point address:\s+(0x[0-9a-f]+)/.exec(readelf)![1]));
    const nm = new Map(
      execFileSync("arm-none-eabi-nm", [elfPath], { encoding: "utf8" })
        .trim().split("\n").map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 3).map(([addr, , name]) => [name!, parseInt(addr!, 16)]),
    );
    for (const name of ["airlock_log_level", "banner", "debug_shell_start", "airlock_confirm_hook", "reset_handler", "counter", "zeroed", "vectors"]) {
      expect(elf.symbols.find((s) => s.name === name)?.value, name).toBe(nm.get(name));
    }
    // GCC puts a const volatile in .data: its value is read where flash holds it for the copy.
    const level = elf.symbols.find((s) => s.name === "airlock_log_level")!;
    expect(level.value).toBe(0x20000004);
    expect(Buffer.from(symbolBytes(elf, level)!).readInt32LE(0)).toBe(2);
    expect(Buffer.from(symbolBytes(elf, elf.symbols.find((s) => s.name === "banner")!)!).toString()).toBe("DEBUG BUILD\0");
    expect(symbolBytes(elf, elf.symbols.find((s) => s.name === "zeroed")!), ".bss holds no bytes").toBeUndefined();
  });

  it("refuses truncated, 64-bit, big-endian and non-ELF files as input errors", () => {
    const good = readFileSync(elfPath);
    for (const cut of [0, 10, 51, 200, good.length - 1]) {
      const r = () => parseElf(good.subarray(0, cut), "cut.elf");
      if (cut === good.length - 1) expect(() => slotImage(r(), "cut.elf")).toThrow(InputError);
      else expect(r).toThrow(InputError);
    }
    const as64 = Buffer.from(good);
    as64[4] = 2;
    expect(() => parseElf(as64, "x")).toThrow(/ELF32/);
    const big = Buffer.from(good);
    big[5] = 2;
    expect(() => parseElf(big, "x")).toThrow(/big-endian/);
    expect(() => parseElf(Buffer.from("#!/bin/sh\necho not firmware\n".padEnd(100)), "x")).toThrow(/ELF magic/);
  });
});
