// Build descriptions (schema-checked) and the validation rules of tools/build/rules.ts on
// firmware built here with arm-none-eabi-gcc: a user build with a debug symbol, a debug string or
// too high a log level is refused naming the rule, the target and the evidence (symbol and
// address); the same firmware as an eng build passes; a clean user build passes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDescription, parseElf, slotImage, validateTarget, type BuildDescription } from "../tools/build/index.js";
import { InputError } from "../tools/format/index.js";
import { buildFirmwareElf, FIRMWARE_FLASH_ORIGIN } from "./helpers/firmware-elf.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-rules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function description(buildType: "eng" | "user", extra: Record<string, unknown> = {}): BuildDescription {
  return parseDescription(
    JSON.stringify({
      product: "thermostat",
      hardwareId: "nordic,nrf52840",
      board: "nrf52840",
      targetsVersion: 3,
      buildType,
      targets: { app: { elf: "app.elf", loadAddress: FIRMWARE_FLASH_ORIGIN } },
      rules: {
        forbiddenSymbols: ["debug_shell_*"],
        requiredSymbols: ["airlock_confirm_hook"],
        forbiddenStrings: ["DEBUG BUILD"],
        maxLogLevel: { symbol: "airlock_log_level", max: 2 },
      },
      ...extra,
    }),
    "product.json",
  );
}

let debugElf = "";
let cleanElf = "";
beforeAll(() => {
  debugElf = buildFirmwareElf(dir, "debug", { logLevel: 4, banner: "DEBUG BUILD" });
  cleanElf = buildFirmwareElf(dir, "clean", { logLevel: 2, banner: "release", omitDebugShell: true });
});

function check(d: BuildDescription, elfPath: string, slotSize = 64 * 1024) {
  const elf = parseElf(readFileSync(elfPath), elfPath);
  const image = slotImage(elf, elfPath);
  return validateTarget(d, { name: "app", image: image.bytes, elf, loadAddress: image.loadAddress, slotSize });
}

describe("build descriptions", () => {
  it("are refused with the path of every bad field", () => {
    const bad = (json: string) => () => parseDescription(json, "product.json");
    expect(bad("{")).toThrow(InputError);
    expect(bad(JSON.stringify({ product: "x" }))).toThrow(/must have required property 'hardwareId'/);
    expect(bad(JSON.stringify({ ...JSON.parse(JSON.stringify(description("eng"))), buildTyp: "eng" }))).toThrow(/unknown field "buildTyp"/);
    expect(bad(JSON.stringify({ ...description("eng"), buildType: "release" }))).toThrow(/\/buildType: must be one of "eng", "user"/);
    expect(bad(JSON.stringify({ ...description("eng"), targets: { app: { elf: "a.elf", binary: "a.bin" } } }))).toThrow(/\/targets\/app: give exactly one of "elf" or "binary"/);
    expect(bad(JSON.stringify({ ...description("eng"), targetsVersion: 0 }))).toThrow(/\/targetsVersion: must be >= 1/);
  });

  it("default the machine to arm and the rules to none", () => {
    const d = parseDescription(JSON.stringify({ product: "p", hardwareId: "h", board: "nrf52840", targetsVersion: 1, buildType: "eng", targets: { app: { binary: "a.bin" } } }), "p.json");
    expect(d.machine).toBe("arm");
    expect(d.rules).toEqual({});
  });
});

describe("validation rules", () => {
  it("refuse a user build with a debug symbol, a debug string and too high a log level, naming each", () => {
    const failures = check(description("user"), debugElf);
    const elf = parseElf(readFileSync(debugElf), "debug.elf");
    const shell = elf.symbols.find((s) => s.name === "debug_shell_start")!;
    expect(failures).toEqual(
      expect.arrayContaining([
        { rule: "forbidden-symbol", target: "app", evidence: `debug_shell_start at 0x${shell.value.toString(16).padStart(8, "0")} (matches debug_shell_*)` },
        expect.objectContaining({ rule: "forbidden-string", target: "app", evidence: expect.stringMatching(/^"DEBUG BUILD" at image offset \d+ \(address 0x0800/) }),
        expect.objectContaining({ rule: "max-log-level", evidence: expect.stringMatching(/airlock_log_level at 0x20000004 is 4, at most 2 allowed/) }),
      ]),
    );
    expect(failures).toHaveLength(3);
  });

  it("let the same firmware through as an eng build (debug allowed), and a clean user build", () => {
    expect(check(description("eng"), debugElf)).toEqual([]);
    expect(check(description("user"), cleanElf)).toEqual([]);
  });

  it("check every build for the slot, the machine, the entry point, the load address and required symbols", () => {
    expect(check(description("eng"), cleanElf, 16)).toEqual([expect.objectContaining({ rule: "fits-slot" })]);
    expect(check(description("eng", { machine: "riscv" }), cleanElf)).toEqual([expect.objectContaining({ rule: "machine", evidence: expect.stringMatching(/e_machine 40, the board needs 243/) })]);
    const moved = description("eng", { targets: { app: { elf: "app.elf", loadAddress: 0x08008000 } } });
    expect(check(moved, cleanElf)).toEqual([expect.objectContaining({ rule: "load-address", evidence: "linked to load at 0x08004000, the slot is at 0x08008000" })]);
    const needs = description("eng", { rules: { requiredSymbols: ["airlock_confirm_hook", "watchdog_kick"] } });
    expect(check(needs, cleanElf)).toEqual([{ rule: "required-symbol", target: "app", evidence: "no symbol watchdog_kick" }]);
  });

  it("refuse symbol rules on a raw binary, which has no symbols to check", () => {
    const d = description("user", { targets: { app: { binary: "app.bin" } } });
    expect(validateTarget(d, { name: "app", image: new Uint8Array(100), slotSize: 4096 })).toEqual([
      expect.objectContaining({ rule: "symbols-unavailable" }),
    ]);
  });
});
