// Issue 11, faults: seeded random fault schedules on the wire between `send` and the device:
// frames dropped, corrupted, duplicated, reordered and stalled, the link cut, the device reset or
// its power cut at a chosen byte, and power cuts inside flash operations. Every schedule must end
// with the new image installed or the old one intact and the host saying why; never a bricked
// device, never a wrong image, never a hang past the host's timeouts (virtual time bounds it).
// After each schedule a clean send must complete the update: nothing was left stuck.
// AIRLOCK_LINK_SWEEP=N runs N schedules (npm run sweep:link runs 1000); npm test runs 200.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { loadBoard } from "../host-sim/index.js";
import { sendBundle, SendError } from "../tools/link/index.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture } from "./helpers/device.js";
import { LinkRig, type FaultPlan, type FrameFate } from "./helpers/link-rig.js";
import { seededRandom as mulberry32 } from "../host-sim/flash.js";

const SCHEDULES = Number(process.env.AIRLOCK_LINK_SWEEP ?? 200);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");


/** A fault schedule from a seed: per-frame fates at random rates, and up to two timed events. */
function schedule(seed: number, bundleBytes: number): { plan: FaultPlan; random: () => number; summary: string } {
  const r = mulberry32(seed);
  const rate = () => (r() < 0.5 ? 0 : r() * 0.15);
  const rates: [FrameFate, number][] = [["drop", rate()], ["corrupt", rate()], ["duplicate", rate()], ["hold", rate()], ["stall", rate() / 4]];
  const fate = (): FrameFate => {
    let x = r();
    for (const [f, p] of rates) {
      if (x < p) return f;
      x -= p;
    }
    return "deliver";
  };
  const actions = ["cut-link", "reset", "power-cut"] as const;
  const events = Array.from({ length: Math.floor(r() * 3) }, () => ({ byte: Math.floor(r() * bundleBytes * 1.1), action: actions[Math.floor(r() * 3)]! }));
  const flashCutAt = r() < 0.25 ? 1 + Math.floor(r() * 120) : undefined;
  const plan: FaultPlan = { fate: () => fate(), stallMs: 500 + Math.floor(r() * 5000), atDeviceByte: events, flashCutAt };
  const summary = `${rates.map(([f, p]) => `${f} ${(p * 100).toFixed(1)}%`).join(", ")}; events ${JSON.stringify(events)}; flash cut ${flashCutAt ?? "none"}`;
  return { plan, random: r, summary };
}

describe("send under faults", () => {
  const board = loadBoard("nrf52840");
  const c = cast();
  const v1 = new Uint8Array(6000).fill(0x11);
  const v2 = Uint8Array.from({ length: 12_000 }, (_, i) => (i * 7) & 0xff);
  const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [c.devTargets] });

  it(`${SCHEDULES} seeded fault schedules: installed or intact, with a reason, never stuck`, async () => {
    const factory = await manufacture(board, c.rootV1, { app: v1 });
    const outcomes = new Map<string, number>();
    const first = Number(process.env.AIRLOCK_LINK_SEED ?? 1);
    for (let seed = first; seed < first + SCHEDULES; seed++) {
      const flash = factory.clone();
      const { plan, random, summary } = schedule(seed, bundle.length);
      const rig = new LinkRig({ board, flash, faults: plan, random });
      await rig.start();
      const send = sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock, deviceTimeoutMs: 20_000, maxResumes: 30 });
      let outcome: string;
      try {
        const report = await rig.run(send, 24 * 3600_000);
        expect(report.result, `seed ${seed} (${summary})`).toBe("SUCCESS");
        outcome = "installed";
      } catch (err) {
        if (!(err instanceof SendError)) throw new Error(`seed ${seed} (${summary}): ${String(err)}`, { cause: err });
        expect(err.message.length, `seed ${seed}: a reason`).toBeGreaterThan(10);
        outcome = `refused ${err.code}`;
        if (process.env.AIRLOCK_LINK_DEBUG) console.log(`seed ${seed}: ${err.code}: ${err.message} [${summary}]`);
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      // The device runs v1 or v2, never anything else, and a clean send finishes the job.
      rig.stop();
      const clean = new LinkRig({ board, flash });
      const before = await clean.start();
      expect([sha(v1), sha(v2)], `seed ${seed} (${summary}): running image`).toContain(before.images.app);
      const report = await clean.run(sendBundle({ connect: clean.connect, bundle, filename: "v2.bundle", clock: clean.clock }));
      expect(report.result, `seed ${seed}: clean send after the faults`).toBe("SUCCESS");
      expect(clean.device.bootInfo().images.app, `seed ${seed}: v2 runs after the clean send`).toBe(sha(v2));
      clean.stop();
    }
    console.log(`fault sweep: ${SCHEDULES} schedules: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    if (SCHEDULES >= 50) expect(outcomes.get("installed") ?? 0).toBeGreaterThan(SCHEDULES / 2);
  }, 600_000);
});
