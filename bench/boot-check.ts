// `npm run bench` (third part): what the image check at boot (board "bootCheck") costs per MiB of
// image, against node:crypto's SHA-256 of the same bytes measured in the same run. The check is
// boot() + boot_poll in 16 KiB budgets over the simulated flash: SHA-256 in the agent, plus the
// flash reads through the import, plus one manifest load. On a Cortex-M the same path costs the
// board's SHA-256 instructions per byte (npm run board:bench) times 1 MiB, plus the flash reads.
import { createHash } from "node:crypto";
import type { Board } from "../host-sim/index.js";
import { largeRp2040 } from "../test/helpers/large-board.js";
import { SimDevice } from "../host-sim/device.js";
import { cast, makeBundle } from "../test/helpers/fixtures.js";
import { manufacture, powerOn } from "../test/helpers/device.js";
import { median } from "./measure.js";

const MiB = 1024 * 1024;
const IMAGE_BYTES = 4 * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function board(bootCheck: boolean): Board {
  return largeRp2040({ name: `rp2040-64mib-check${bootCheck ? 1 : 0}`, bootCheck });
}

async function main(): Promise<void> {
  let x = 99;
  const image = Uint8Array.from({ length: IMAGE_BYTES }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24));
  const c = cast();
  const checked = board(true);
  const flash = await manufacture(checked, c.rootV1, { app: image });
  const plain = board(false);
  const perMiB = (ms: number) => ms / (IMAGE_BYTES / MiB);
  const withCheck: number[] = [];
  const without: number[] = [];
  const oracle: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [b, out] of [[checked, withCheck], [plain, without]] as const) {
      flash.powerOn();
      const device = new SimDevice(flash, b);
      const t0 = performance.now();
      await device.powerOn();
      out.push(performance.now() - t0);
    }
    const t0 = performance.now();
    createHash("sha256").update(image).digest();
    oracle.push(performance.now() - t0);
  }
  const check = perMiB(median(withCheck) - median(without));
  const sha = perMiB(median(oracle));
  console.log("boot-time image check (4 MiB image, boot_poll budgets of 16 KiB, medians of", ROUNDS, "rounds)");
  console.log(`  check cost per MiB (boot with check - boot without)   ${check.toFixed(2).padStart(8)} ms`);
  console.log(`  node:crypto SHA-256 per MiB                          ${sha.toFixed(2).padStart(8)} ms`);
  console.log(`  ratio node:crypto time / check time                  ${(sha / check).toFixed(2).padStart(8)}`);
  // A stale check would be a silent bug: the checked boot must still run the image.
  const s = await powerOn(checked, flash);
  if (s.report.slot !== "a") throw new Error("the checked boot did not run slot A");
}

await main();
