// Issue 5, fuzzing: valid bundles mutated (bit flips, byte sets, truncations, splices from another
// valid bundle, duplicated protobuf fields) and fed to the real agent on a simulated nRF52840.
// Properties: the agent never traps, its memory never grows past its one page, a bundle it
// accepts installs exactly a payload that a trusted key signed, and a bundle it refuses leaves
// the device running what it ran. Bounded in `npm test`; `npm run fuzz` runs long
// (AIRLOCK_FUZZ_RUNS, default 20000) and both print cases per second.
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { loadBoard } from "../host-sim/boards.js";
import type { NorFlash } from "../host-sim/flash.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { newImage, oldImage } from "./helpers/attacks.js";
import { applyMutation, duplicateInTargets, mutationsArbitrary } from "./helpers/mutate.js";
import { codeName, manufacture, powerOn, runningImage } from "./helpers/device.js";
import type { BootInfo } from "../host-sim/device.js";

const RUNS = Number(process.env.AIRLOCK_FUZZ_RUNS ?? 1000);
const PAGE = 65536;
const board = loadBoard("nrf52840");
const c = cast();
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

// Two originals, each the other's splice donor: a plain update and a root rotation.
const plain = makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.devTargets] });
const rotation = makeBundle({ targetsVersion: 3, payloads: { app: newImage() }, signers: [c.prodTargets], root: c.rootV2 });
const SIGNED_IMAGES = new Set([sha(newImage())]);

let base: NorFlash;
let before: BootInfo;
const stats = { cases: 0, accepted: 0, ms: 0, codes: new Map<string, number>() };

async function feed(bundle: Uint8Array): Promise<void> {
  const flash = base.clone();
  const session = await powerOn(board, flash);
  let code: number;
  try {
    code = await session.update(bundle);
  } catch (e) {
    // A WebAssembly trap (RuntimeError) or any other throw is a failure: the agent must answer.
    throw new Error(`the agent threw on a ${bundle.length}-byte bundle: ${(e as Error).stack}`);
  }
  expect(session.device.memoryBytes()).toBe(PAGE);
  stats.cases++;
  const name = codeName(code);
  stats.codes.set(name, (stats.codes.get(name) ?? 0) + 1);
  const after = (await powerOn(board, flash)).report;
  if (code === 0) {
    stats.accepted++;
    expect(after.trial).toBe(true);
    expect(SIGNED_IMAGES.has(after.images.app!)).toBe(true);
    expect(sha(runningImage(board, flash, after, "app", after.lengths.app!))).toBe(after.images.app);
  } else {
    expect({ ...after, rootVersion: before.rootVersion }).toEqual(before);
    expect([before.rootVersion, 2]).toContain(after.rootVersion);
  }
}

describe("fuzzed bundles", () => {
  it("setup: a provisioned device", async () => {
    base = await manufacture(board, c.rootV1, { app: oldImage() });
    before = (await powerOn(board, base.clone())).report;
    // both originals install untouched: the properties below start from accepted bundles
    for (const original of [plain, rotation]) {
      const flash = base.clone();
      expect(codeName(await (await powerOn(board, flash)).update(original))).toBe("OK");
    }
  });

  it("never traps, never grows memory, installs only signed payloads (random mutations)", async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.boolean(), mutationsArbitrary, async (useRotation, mutations) => {
        const original = useRotation ? rotation : plain;
        const donor = useRotation ? plain : rotation;
        let bundle: Uint8Array = original;
        for (const m of mutations) bundle = applyMutation(bundle, donor, m);
        if (bundle.length === 0) return;
        await feed(bundle);
      }),
      { numRuns: RUNS, seed: Number(process.env.AIRLOCK_FUZZ_SEED ?? 0x5eed) },
    );
    stats.ms += performance.now() - started;
  }, RUNS > 1000 ? 3_600_000 : 120_000);

  it("refuses duplicated fields inside targets metadata even when a trusted key re-signs them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), async (field, to) => {
        const bundle = duplicateInTargets(plain, field, to, c.devTargets);
        const flash = base.clone();
        const session = await powerOn(board, flash);
        const code = await session.update(bundle);
        expect(["ERR_PROTO_DUPLICATE_FIELD", "ERR_PROTO_DUPLICATE_KEY"]).toContain(codeName(code));
        expect(session.device.memoryBytes()).toBe(PAGE);
      }),
      { numRuns: Math.min(RUNS, 200), seed: 0xd0b1e },
    );
  }, 120_000);
});

afterAll(() => {
  const perSecond = stats.ms > 0 ? ((stats.cases / stats.ms) * 1000).toFixed(0) : "n/a";
  const codes = [...stats.codes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(`\nfuzz: ${stats.cases} mutated bundles, ${perSecond} cases/s, ${stats.accepted} accepted (all signed payloads), 0 traps\n  answers: ${codes}`);
});
