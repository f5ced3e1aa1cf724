// The whole update path on every board in board/ and on flash parts the boards do not have yet
// (write units 1..32, erased value 0x00): non-uniform sectors, any write unit, either erased
// value, and nothing in the agent assumes 0xFF.
import { describe, it, expect } from "vitest";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { newDevice, runningImageHash, sha256Hex } from "./helpers/agent-device.js";
import { listBoards, loadBoard, boardVariant } from "../host-sim/boards.js";

const { devTargets, rootV1, prodTargets, rootV2 } = cast();
const v1 = image("factory app", 70_001);
const v2 = image("app v2", 66_667);
const v3 = image("app v3", 3);

const boards = listBoards().flatMap((name) => {
  const board = loadBoard(name);
  return [board, ...[1, 2, 8, 16, 32].map((wu) => boardVariant(board, { writeUnit: wu, erasedValue: 0x00 }))];
});

describe("update path on every board geometry", () => {
  for (const board of boards) {
    it(`${board.name}: provision, update with rotation, trial, confirm, update again, revert`, async () => {
      const d = newDevice(board);
      expect((await d.device.provision(rootV1, { app: v1 })).images.app).toBe(sha256Hex(v1));
      const b2 = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [prodTargets], root: rootV2, hardwareId: board.hardwareId });
      expect(d.device.update(b2, { budget: 5000 }).ok).toBe(true);
      const trial = await d.device.powerOn();
      expect(trial).toMatchObject({ slot: "b", trial: true, rootVersion: 2, targetsVersion: 2 });
      expect(runningImageHash(d, trial)).toBe(sha256Hex(v2));
      d.device.confirm();
      expect(d.device.update(makeBundle({ targetsVersion: 3, payloads: { app: v3 }, signers: [prodTargets] })).ok).toBe(true);
      const third = await d.device.powerOn();
      expect(third).toMatchObject({ slot: "a", trial: true, targetsVersion: 3 });
      expect(runningImageHash(d, third)).toBe(sha256Hex(v3));
      const reverted = await d.device.powerOn();
      expect(reverted).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
      expect(runningImageHash(d, reverted)).toBe(sha256Hex(v2));
      expect(d.device.memoryBytes()).toBe(65536);
    });
  }

  it("survives many updates: the record store compacts between its banks", async () => {
    const d = newDevice(loadBoard("nrf52840"));
    await d.device.provision(rootV1, { app: v1 });
    for (let version = 1; version <= 40; version++) {
      const payload = image(`app ${version}`, 1000 + version);
      expect(d.device.update(makeBundle({ targetsVersion: version, payloads: { app: payload }, signers: [devTargets] })).ok).toBe(true);
      await d.device.powerOn();
      d.device.confirm();
      const info = await d.device.powerOn();
      expect(info).toMatchObject({ targetsVersion: version, trial: false });
      expect(runningImageHash(d, info)).toBe(sha256Hex(payload));
    }
    const meta = loadBoard("nrf52840").partitions.metadata;
    const counts = d.flash.eraseCounts();
    const first = d.flash.sectorIndexOf(meta.offset);
    const metaErases = Array.from(counts.subarray(first, first + meta.size / 4096));
    expect(Math.min(...metaErases)).toBeGreaterThan(0); // both banks took turns
  });
});
