// The image check at boot (board file "bootCheck", layout byte 11): boot() re-hashes the slot it
// is about to run against the SHA-256 recorded when the image was installed, in bounded
// boot_poll steps, and falls back to the other slot only if that one is intact. Bit rot is
// modelled by flipping bits in the flash array directly, below the NOR rules, as real rot is.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { loadBoard, validateBoard, type Board } from "../host-sim/index.js";
import { targetSlots } from "../host-sim/boards.js";
import { NorFlash, POWER_CUT_MODES, PowerCutError } from "../host-sim/flash.js";
import { SimDevice, AgentError } from "../host-sim/device.js";
import { instantiateAgent } from "../host-sim/agent-module.js";
import { encodeLayout } from "../host-sim/layout.js";
import { OK, ERR_BOOT_CHECK_PENDING, ERR_NO_INTACT_IMAGE, ERR_LAYOUT_MAGIC } from "../assembly/status.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture, powerOn } from "./helpers/device.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const v1 = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
const v2 = Uint8Array.from({ length: 7000 }, (_, i) => (i * 3) & 0xff);

function boardWith(bootCheck: boolean, trialBoots = 1): Board {
  const base = loadBoard("nrf52840");
  return validateBoard({ ...base, name: `nrf52840-check${bootCheck ? 1 : 0}`, bootCheck, trialBoots }, "the test board");
}

/** Factory v1 in slot A, then v2 installed to slot B (confirmed unless `confirm` is false). */
async function installed(board: Board, confirm = true): Promise<NorFlash> {
  const c = cast();
  const flash = await manufacture(board, c.rootV1, { app: v1 });
  const session = await powerOn(board, flash);
  expect(await session.update(makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [c.devTargets] }))).toBe(OK);
  if (confirm) expect(await (await powerOn(board, flash)).confirm()).toBe(OK);
  return flash;
}

/** The same flash with one bit flipped at `addr` (bit rot: no program or erase did it). */
function rot(flash: NorFlash, addr: number): NorFlash {
  const state = flash.state();
  state.bytes[addr]! ^= 0x10;
  return new NorFlash(flash.geometry, state);
}

const slots = (board: Board) => targetSlots(board, "app");

describe("image check at boot", () => {
  it("boots an intact image after hashing it in bounded boot_poll steps, writing nothing", async () => {
    const board = boardWith(true);
    const flash = await installed(board);
    flash.powerOn();
    const agent = await instantiateAgent(flash);
    const layout = encodeLayout(board);
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(OK);
    const ops = flash.operations;
    expect(agent.exports.boot()).toBe(ERR_BOOT_CHECK_PENDING);
    expect(agent.exports.boot(), "a second boot() during the check decides nothing again").toBe(ERR_BOOT_CHECK_PENDING);
    let calls = 0;
    let rc = ERR_BOOT_CHECK_PENDING;
    while (rc === ERR_BOOT_CHECK_PENDING && calls < 1000) {
      rc = agent.exports.boot_poll(512);
      calls++;
    }
    expect(rc).toBe(1); // slot B
    expect(calls).toBe(Math.ceil(v2.length / 512)); // 512 bytes a call; the last one also decides
    expect(flash.operations - ops, "an intact image costs no flash write").toBe(0);
    expect(agent.exports.boot_poll(512), "after boot: the running slot").toBe(1);
  });

  it("falls back to the other slot when the confirmed image rotted, once, and stays there", async () => {
    const board = boardWith(true);
    const flash = rot(await installed(board), slots(board).slotB + 4321);
    const first = await powerOn(board, flash);
    expect(first.report).toMatchObject({ slot: "a", trial: false });
    expect(first.report.images.app).toBe(sha(v1));
    const ops = flash.operations;
    const second = await powerOn(board, flash);
    expect(second.report).toMatchObject({ slot: "a", trial: false });
    expect(flash.operations - ops, "the next boot checks slot A and writes nothing").toBe(0);
  });

  it("without the check the same rotted image boots (what the check is for)", async () => {
    const board = boardWith(false);
    const flash = rot(await installed(board), slots(board).slotB + 4321);
    const s = await powerOn(board, flash);
    expect(s.report.slot).toBe("b");
    const running = flash.dump(slots(board).slotB, v2.length);
    expect(sha(running)).not.toBe(sha(v2));
  });

  it("reverts a trial image that rotted, as a failed trial", async () => {
    const board = boardWith(true, 3);
    const flash = rot(await installed(board, false), slots(board).slotB + 17);
    const s = await powerOn(board, flash);
    expect(s.report).toMatchObject({ slot: "a", trial: false });
    expect(s.device.status().lastError).toBe(-106); // ERR_TRIAL_REVERTED: the update did not hold
  });

  it("refuses to boot when neither slot is intact, and writes nothing on any attempt", async () => {
    const board = boardWith(true);
    const flash = rot(rot(await installed(board), slots(board).slotB + 100), slots(board).slotA + 200);
    const before = flash.dump();
    for (let attempt = 0; attempt < 3; attempt++) {
      flash.powerOn();
      const device = new SimDevice(flash, board);
      await expect(device.powerOn()).rejects.toMatchObject({ code: ERR_NO_INTACT_IMAGE });
    }
    expect(Buffer.compare(flash.dump(), before)).toBe(0);
  });

  it("a power cut at any flash operation of a fallback boot leaves an intact image booting", async () => {
    const board = boardWith(true);
    const damaged = rot(await installed(board), slots(board).slotB + 999);
    let cuts = 0;
    for (const mode of POWER_CUT_MODES) {
      for (let op = 1; op <= 6; op++) {
        const flash = damaged.clone();
        flash.arm({ atOp: op, mode, seed: op });
        try {
          await new SimDevice(flash, board).powerOn();
        } catch (err) {
          if (!(err instanceof PowerCutError) && !(err instanceof AgentError && flash.poweredOff)) throw err;
          cuts++;
        }
        flash.disarm();
        const after = await powerOn(board, flash);
        expect(after.report, `cut ${mode} at op ${op}`).toMatchObject({ slot: "a" });
        expect(after.report.images.app).toBe(sha(v1));
      }
    }
    expect(cuts).toBeGreaterThan(0);
  });

  it("refuses a layout whose byte 11 is neither 0 nor 1, and a board file whose bootCheck is not a boolean", async () => {
    const board = boardWith(true);
    const flash = new NorFlash(board.flash);
    const agent = await instantiateAgent(flash);
    const layout = encodeLayout(board);
    layout[11] = 2;
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(ERR_LAYOUT_MAGIC);
    expect(() => validateBoard({ ...loadBoard("nrf52840"), bootCheck: "yes" }, "a board file")).toThrow(/bootCheck must be true or false/);
  });
});
