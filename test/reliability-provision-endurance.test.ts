// Issue 5, two more ways a fleet loses devices: a power cut while the factory provisions a device
// (every operation, three ways: the station must be able to provision it again, and the device
// then boots its image under its root), and wear over many updates (the record store compacts
// forever without filling up, and no sector is erased more than the update count calls for).
import { afterAll, describe, expect, it } from "vitest";
import { listBoards, loadBoard, boardVariant, type Board } from "../host-sim/boards.js";
import { NorFlash, PowerCutError, POWER_CUT_MODES } from "../host-sim/flash.js";
import { SimDevice, AgentError } from "../host-sim/device.js";
import { cast, image, makeBundle, sha256Hex } from "./helpers/fixtures.js";
import { codeName, powerOn, runningImage } from "./helpers/device.js";
import { EXHAUSTIVE } from "./helpers/matrix.js";
import { cutSeed } from "./helpers/sweep.js";

const c = cast();
const FACTORY_APP = image("factory firmware", 21_000);
const figures: string[] = [];

function boards(): Board[] {
  return listBoards().flatMap((name) => {
    const board = loadBoard(name);
    return [board, boardVariant(board, { writeUnit: 16, erasedValue: 0 })];
  });
}

describe("power cut during factory provisioning", () => {
  for (const board of boards()) {
    it(`${board.name}: can be provisioned again after a cut at any operation, then boots its image`, async () => {
      const clean = new NorFlash(board.flash);
      await new SimDevice(clean, board).provision(c.rootV1, { app: FACTORY_APP }, { targetsVersion: 1 });
      const operations = clean.operations;
      let tried = 0;
      const alreadyProvisioned: number[] = [];
      const step = EXHAUSTIVE ? 1 : Math.max(1, Math.floor(operations / 12));
      for (let index = 1; index <= operations; index += step) {
        for (const mode of POWER_CUT_MODES) {
          const flash = new NorFlash(board.flash);
          flash.arm({ atOp: index, mode, seed: cutSeed("provision", board.name, index, mode) });
          await expect(new SimDevice(flash, board).provision(c.rootV1, { app: FACTORY_APP }, { targetsVersion: 1 })).rejects.toBeInstanceOf(PowerCutError);
          flash.powerOn();
          try {
            await new SimDevice(flash, board).provision(c.rootV1, { app: FACTORY_APP }, { targetsVersion: 1 });
          } catch (e) {
            // Only a provisioning that had already become durable may refuse a second one.
            if (!(e instanceof AgentError) || e.codeName !== "ERR_ALREADY_PROVISIONED") {
              throw new Error(`${board.name}: provisioning again after a ${mode} cut at operation ${index} failed: ${(e as Error).message}`);
            }
            alreadyProvisioned.push(index);
          }
          const session = await powerOn(board, flash);
          expect(session.report.rootVersion).toBe(1);
          expect(session.report.images.app).toBe(sha256Hex(FACTORY_APP));
          expect(Buffer.compare(runningImage(board, flash, session.report, "app", FACTORY_APP.length), FACTORY_APP)).toBe(0);
          tried++;
        }
      }
      figures.push(`provisioning ${board.name}: ${operations} operations, ${tried} cuts, ${alreadyProvisioned.length} already durable`);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

describe("wear over many updates", () => {
  const UPDATES = EXHAUSTIVE ? 300 : 40;
  for (const board of boards()) {
    it(`${board.name}: ${UPDATES} updates in a row all install, confirm and keep the record store healthy`, async () => {
      const flash = new NorFlash(board.flash);
      await new SimDevice(flash, board).provision(c.rootV1, { app: FACTORY_APP }, { targetsVersion: 1 });
      const erasesBefore = flash.eraseCounts();
      for (let version = 2; version <= UPDATES + 1; version++) {
        const app = image(`firmware ${version}`, 3000 + (version % 7) * 1000);
        const bundle = makeBundle({ targetsVersion: version, payloads: { app }, signers: [c.devTargets] });
        const session = await powerOn(board, flash);
        expect(codeName(await session.update(bundle)), `update to v${version}`).toBe("OK");
        const trial = await powerOn(board, flash);
        expect(trial.report.images.app).toBe(sha256Hex(app));
        expect(codeName(await trial.confirm())).toBe("OK");
      }
      const final = (await powerOn(board, flash)).report;
      expect(final.targetsVersion).toBe(UPDATES + 1);
      expect(final.trial).toBe(false);
      const erases = flash.eraseCounts().map((n, i) => n - erasesBefore[i]!);
      const { metadata } = board.partitions;
      const metadataSectors = erases.filter((_, i) => {
        const s = flash.sector(i);
        return s.offset >= metadata.offset && s.offset < metadata.offset + metadata.size;
      });
      const most = Math.max(...erases);
      // Every update erases each sector it writes at most a few times; nothing grows without bound.
      expect(most).toBeLessThanOrEqual(UPDATES * 2);
      figures.push(`wear ${board.name}: ${UPDATES} updates, most erases of one sector ${most}, metadata sectors ${metadataSectors.join("/")}`);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  console.log(`\n${figures.join("\n")}`);
});
