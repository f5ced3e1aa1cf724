// The agent translated to C (wasm2c), built for a Cortex-M4 and run on two QEMU boards: the
// update demo must report exactly what the simulator's SimDevice returns for the same bundles
// (boot records, image hashes, update outcomes and status records, flash operation counts), at
// -O2 and at -Os; the bench must compute the right digests and verdicts, count the same
// instructions on both boards, and stay within issue 6's budgets (SHA-256, Ed25519 verify).
import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { buildFirmware, firmwarePath, OPT_LEVELS } from "../board/native/build.js";
import { runFirmware } from "../board/native/qemu.js";
import { QEMU_MACHINES } from "../board/native/machines.js";
import { comparableFirmwareLines, simulateDemo } from "../board/native/simulate-demo.js";
import { benchEd25519Vector } from "../board/native/generate-headers.js";
import { demoFixtures } from "../board/native/fixtures.js";
import { findLine, numberField, parseLine } from "../board/native/output.js";
import { loadBoard } from "../host-sim/boards.js";
import { instantiateAgent, refusingFlashPort, STATE, RESULT } from "../host-sim/index.js";
import { OK } from "../assembly/status.js";

const MACHINES = Object.keys(QEMU_MACHINES);
const sha256Hex = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

beforeAll(() => {
  buildFirmware();
}, 180_000);

describe.each(MACHINES)("update demo on QEMU %s", (machine) => {
  it.each(OPT_LEVELS)("reports at -%s exactly what SimDevice returns for the same bundles", async (opt) => {
    const run = runFirmware(machine, firmwarePath(machine, opt, "update-demo"));
    expect(run.exitCode, run.lines.join("\n") + run.stderr).toBe(0);
    expect(comparableFirmwareLines(run.lines)).toEqual(await simulateDemo(machine));
  });

  it("updates to the bundle's image, boots it on trial, and a bad signature changes nothing", () => {
    const run = runFirmware(machine, firmwarePath(machine, "O2", "update-demo"));
    const fixtures = demoFixtures(loadBoard(QEMU_MACHINES[machine]!.layoutBoard).hardwareId);
    const phases = run.lines.join("\n").split("\nreset\n").map((p) => p.split("\n"));
    expect(phases).toHaveLength(4);
    const [factory, firstBoot, afterUpdate, afterReject] = phases as [string[], string[], string[], string[]];

    // Provisioned at the factory; the factory image runs from slot A; the update is installed.
    expect(factory).toContain("step provision result=0");
    expect(firstBoot).toContain(`image app present=1 length=${fixtures.factoryImage.length} sha256=${sha256Hex(fixtures.factoryImage)}`);
    expect(firstBoot).toContain(`flash app sha256=${sha256Hex(fixtures.factoryImage)}`);
    expect(firstBoot).toContain(`outcome update ok=1 state=${STATE.FINISHED} result=${RESULT.SUCCESS} error=0`);
    // After the reset: slot B, on trial, holding exactly the new image; confirm ends the trial.
    expect(afterUpdate).toContain("step boot result=1");
    expect(afterUpdate).toContain("boot info slot=b trial=1 root-version=1 targets-version=2 pending=0");
    expect(afterUpdate).toContain(`flash app sha256=${sha256Hex(fixtures.updateImage)}`);
    expect(afterUpdate).toContain("step confirm result=0");
    expect(afterUpdate).toContain("boot info slot=b trial=0 root-version=1 targets-version=2 pending=0");
    // The bad signature fails verification with a negative code (VERIFY_FAILED = 5), returned by
    // the last call the firmware made for that bundle...
    const rejected = findLine(afterUpdate, "outcome", "update");
    expect(rejected.fields.ok).toBe("0");
    expect(numberField(rejected, "error")).toBeLessThan(0);
    const outcomeAt = afterUpdate.indexOf(`outcome update ok=0 state=${STATE.FINISHED} result=${RESULT.VERIFY_FAILED} error=${rejected.fields.error}`);
    expect(outcomeAt).toBeGreaterThan(0);
    expect(afterUpdate[outcomeAt - 1]).toMatch(new RegExp(`^step update-[a-z-]+ result=${rejected.fields.error}$`));
    const status = findLine(afterUpdate.slice(outcomeAt), "status", "update");
    expect([status.fields.state, status.fields.result, status.fields["last-error"]]).toEqual([String(STATE.FINISHED), String(RESULT.VERIFY_FAILED), rejected.fields.error]);
    // ...and after another reset the confirmed new image still runs.
    expect(afterReject).toContain("boot info slot=b trial=0 root-version=1 targets-version=2 pending=0");
    expect(afterReject).toContain(`flash app sha256=${sha256Hex(fixtures.updateImage)}`);
    expect(afterReject.at(-1)).toBe("demo done");
  });
});

describe("bench on the emulated Cortex-M4", () => {
  const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

  it("hashes and verifies correctly and counts the same instructions on both boards", async () => {
    // The verdicts the simulator's agent gives for the bench vector and for its tampered copy
    // (one bit of R flipped, as app/bench.c does).
    const agent = await instantiateAgent(refusingFlashPort);
    const { publicKey, signature, message } = benchEd25519Vector();
    const hostVerdict = (flipR: boolean): number => {
      const io = agent.io();
      io.set(publicKey, 0);
      io.set(signature, 32);
      if (flipR) io[32]! ^= 0x01;
      io.set(message, 96);
      return agent.exports.ed25519_verify(message.length);
    };
    const runs = MACHINES.map((machine) => runFirmware(machine, firmwarePath(machine, "O2", "bench")));
    for (const run of runs) {
      expect(run.exitCode, run.lines.join("\n") + run.stderr).toBe(0);
      const calibration = findLine(run.lines, "icount", "calibration");
      expect(calibration.fields.measured).toBe(calibration.fields.expected);
      for (const alg of ["sha256", "sha512"] as const) {
        const line = findLine(run.lines, "bench", alg);
        const bytes = numberField(line, "bytes");
        expect(line.fields.digest).toBe(createHash(alg).update(pattern(bytes)).digest("hex"));
      }
      expect(numberField(findLine(run.lines, "bench", "ed25519-verify"), "result")).toBe(hostVerdict(false));
      const tampered = numberField(findLine(run.lines, "check", "ed25519-tampered"), "result");
      expect(tampered).toBeLessThan(0);
      expect(tampered).toBe(hostVerdict(true));
      // P-256 (RFC 6979 A.2.5): valid as published, refused with a bit of r flipped.
      expect(numberField(findLine(run.lines, "bench", "p256-verify"), "result")).toBe(OK);
      expect(numberField(findLine(run.lines, "check", "p256-tampered"), "result")).toBeLessThan(0);
    }
    expect(hostVerdict(false)).toBe(OK);
    const instructionLines = (lines: string[]) =>
      lines.map(parseLine).filter((l) => l.kind === "bench").map((l) => `${l.name} ${l.fields.instructions}`);
    // Two different timers (CMSDK at 25 MHz with icount shift 10, TIM2 at 1 GHz with shift 0)
    // must agree to the instruction, or the counting method is broken.
    expect(instructionLines(runs[1]!.lines)).toEqual(instructionLines(runs[0]!.lines));
  });

  it("keeps one P-256 verification under 15 M instructions at -O2 (aim 8 M)", () => {
    const run = runFirmware("mps2-an386", firmwarePath("mps2-an386", "O2", "bench"));
    expect(run.exitCode).toBe(0);
    const instructions = numberField(findLine(run.lines, "bench", "p256-verify"), "instructions");
    console.log(`P-256 verify on the Cortex-M4 at -O2: ${(instructions / 1e6).toFixed(2)} M instructions`);
    expect(instructions).toBeLessThan(15_000_000);
  });

  it("keeps SHA-256 under 80 instructions per byte at -O2 and -Os", () => {
    for (const opt of OPT_LEVELS) {
      const run = runFirmware("mps2-an386", firmwarePath("mps2-an386", opt, "bench"));
      expect(run.exitCode).toBe(0);
      expect(numberField(findLine(run.lines, "bench", "sha256"), "per-byte-x100")).toBeLessThan(8000);
    }
  });

  it("keeps one Ed25519 verification under 2.5 M instructions at -O2, wasm2c's bounds checks on", () => {
    // Issue 6's budget (native Monocypher: 1.65 M). The bench firmware is the checked build; only
    // `make unchecked` (diagnosis) compiles the checks out.
    const VERIFY_BUDGET_O2 = 2_500_000;
    const run = runFirmware("mps2-an386", firmwarePath("mps2-an386", "O2", "bench"));
    expect(run.exitCode).toBe(0);
    expect(numberField(findLine(run.lines, "bench", "ed25519-verify"), "instructions")).toBeLessThan(VERIFY_BUDGET_O2);
  });
});
