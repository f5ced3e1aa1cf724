// Findings of the adversarial review of the device agent (an attacker who controls the bundle
// bytes, the order and size of update_write calls and the power; a firmware integrator who calls
// the ABI in odd orders). Each test pins the behaviour a fix established, or a safe behaviour
// that no other suite pinned.
import { describe, it, expect } from "vitest";
import * as S from "../assembly/status.js";
import { cast, image } from "./helpers/fixtures.js";
import { newDevice, runningImageHash, sha256Hex } from "./helpers/agent-device.js";
import { bundle, concat, field, goodBundle, sha256, signed, targetsMetadata, uintField } from "./helpers/agent-craft.js";
import { boardVariant, loadBoard, targetSlots } from "../host-sim/boards.js";
import fc from "fast-check";
import { RESULT, STATE, SimDevice } from "../host-sim/device.js";
import { NorFlash, POWER_CUT_MODES, PowerCutError, type PowerCutMode } from "../host-sim/flash.js";
import type { FlashPort } from "../host-sim/flash-port.js";
import { instantiateAgent } from "../host-sim/agent-module.js";
import { encodeLayout } from "../host-sim/layout.js";
import { toDeviceOrder } from "../tools/format/index.js";

const { devTargets, prodTargets, rootV1, rootV2 } = cast();
const v1 = image("review factory app", 12_345);
const v2 = image("review app v2", 13_000);

function stagingOf(board = loadBoard("nrf52840")) {
  return board.partitions.staging;
}

/** Bytes of staging that are not the erased value (what reached flash there). */
function programmedIn(flash: { dump(a: number, l: number): Uint8Array }, offset: number, size: number, erased: number): number {
  const bytes = flash.dump(offset, size);
  let n = 0;
  for (const b of bytes) if (b !== erased) n++;
  return n;
}

describe("transfer gate: metadata lengths are bounded at their length prefix", () => {
  it("refuses an oversized root before programming its bytes into staging", async () => {
    const d = newDevice();
    const before = await d.device.provision(rootV1, { app: v1 });
    const staging = stagingOf(d.board);
    // 64 KiB of arbitrary bytes claimed to be a root, then honest targets and payload.
    const junk = image("junk posing as a root", 64 * 1024);
    const targets = signed(targetsMetadata({ version: 2, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [devTargets]);
    const b = bundle({ root: junk, targets, payloads: [["app", v2]] });
    const outcome = d.device.update(b);
    expect(outcome.ok).toBe(false);
    expect(outcome.errorName).toBe("ERR_ROOT_TOO_LARGE");
    expect(outcome.result).toBe(RESULT.VERIFY_FAILED);
    // At most the field's key and length prefix reached staging, not the 64 KiB.
    expect(programmedIn(d.flash, staging.offset, staging.size, d.board.flash.erasedValue)).toBeLessThan(64);
    const after = await d.device.powerOn();
    expect(after).toEqual(before);
    expect(runningImageHash(d, after)).toBe(before.images.app);
  });

  it("refuses an oversized targets metadata entry before programming its bytes into staging", async () => {
    const d = newDevice();
    await d.device.provision(rootV1, { app: v1 });
    const staging = stagingOf(d.board);
    const junk = image("junk posing as targets", 64 * 1024);
    const b = concat(field(3, concat(field(1, "targets"), field(2, junk))), field(4, concat(field(1, "app"), field(2, v2))));
    const outcome = d.device.update(b);
    expect(outcome.ok).toBe(false);
    expect(outcome.errorName).toBe("ERR_TARGETS_TOO_LARGE");
    expect(programmedIn(d.flash, staging.offset, staging.size, d.board.flash.erasedValue)).toBeLessThan(64);
  });
});

describe("transfer gate: the root comes before the targets metadata", () => {
  // Found in review: [targets][root][payload] passed or failed depending on the flash's write
  // unit (the root's last bytes could still wait in the writer's partial unit when the metadata
  // check persisted it), so the host verifier and a device could disagree. Now it is refused on
  // every part, and airlock's device order (root first) installs.
  for (const writeUnit of [1, 4, 16, 32]) {
    it(`refuses a root after the targets metadata on write unit ${writeUnit}, whatever its offset; reordered, it installs`, async () => {
      const board = boardVariant(loadBoard("nrf52840"), { writeUnit });
      const outcomes: string[] = [];
      // Padding inside the signed targets moves the root's end through every offset of a unit.
      for (let pad = 0; pad < 33; pad++) {
        const d = newDevice(board);
        const before = await d.device.provision(rootV1, { app: v1 });
        const meta = targetsMetadata({ version: 2, files: [{ name: "app", length: v2.length, hash: sha256(v2) }], extra: field(99, new Uint8Array(pad)) });
        const targets = field(3, concat(field(1, "targets"), field(2, signed(meta, [prodTargets]))));
        const root = field(5, rootV2);
        const payload = field(4, concat(field(1, "app"), field(2, v2)));
        const refused = d.device.update(concat(targets, root, payload));
        outcomes.push(refused.errorName);
        expect(refused.result).toBe(RESULT.VERIFY_FAILED);
        const after = await d.device.powerOn();
        expect(after).toEqual(before);
        expect(toDeviceOrder(concat(targets, root, payload)).bytes).toEqual(concat(root, targets, payload));
        if (pad % 8 === 0) expect(d.device.update(concat(root, targets, payload)).ok).toBe(true);
      }
      expect(new Set(outcomes)).toEqual(new Set(["ERR_ROOT_AFTER_TARGETS"]));
    });
  }
});

/** A flash port that, once armed, returns one flipped byte at `addr` (staged bytes changed under the agent). */
class TamperingPort implements FlashPort {
  tamperAt = -1;
  constructor(readonly inner: NorFlash) {}
  read(addr: number, dst: Uint8Array): number {
    const rc = this.inner.read(addr, dst);
    if (rc === 0 && this.tamperAt >= addr && this.tamperAt < addr + dst.length) dst[this.tamperAt - addr]! ^= 0x01;
    return rc;
  }
  program(addr: number, src: Uint8Array): number {
    return this.inner.program(addr, src);
  }
  erase(addr: number, len: number): number {
    return this.inner.erase(addr, len);
  }
}

describe("staged bytes that change between verify and apply never become bootable", () => {
  it("the slot read-back hash refuses them (ERR_SLOT_VERIFY) and nothing switches", async () => {
    const board = loadBoard("nrf52840");
    const flash = new NorFlash(board.flash);
    const port = new TamperingPort(flash);
    const device = new SimDevice(port, board);
    const before = await device.provision(rootV1, { app: v1 });
    const b = goodBundle(2, { app: v2 }, [devTargets]);
    expect(device.verify(b).ok).toBe(true);
    // The payload is the last field: its bytes end the staged bundle.
    port.tamperAt = board.partitions.staging.offset + b.length - 100;
    const x = device.instance.exports;
    expect(x.update_apply()).toBe(S.OK);
    let rc = 1;
    while (rc === 1) rc = x.update_poll(4096);
    expect(rc).toBe(S.ERR_SLOT_VERIFY);
    expect(device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.APPLY_FAILED, lastError: S.ERR_SLOT_VERIFY });
    port.tamperAt = -1;
    const after = await device.powerOn();
    expect(after).toEqual(before);
  });
});

describe("hardware binding (targets metadata field 65)", () => {
  async function refusedWith(meta: Uint8Array, code: number) {
    const d = newDevice();
    const before = await d.device.provision(rootV1, { app: v1 });
    const outcome = d.device.update(bundle({ targets: signed(meta, [devTargets]), payloads: [["app", v2]] }));
    expect({ ok: outcome.ok, error: outcome.error }).toEqual({ ok: false, error: code });
    expect(await d.device.powerOn()).toEqual(before);
  }
  const files = [{ name: "app", length: v2.length, hash: sha256(v2) }];
  const own = loadBoard("nrf52840").hardwareId;

  it("refuses field 65 twice, even when both name this device", async () => {
    await refusedWith(targetsMetadata({ version: 2, files, hardwareId: own, extra: field(65, own) }), S.ERR_PROTO_DUPLICATE_FIELD);
    await refusedWith(targetsMetadata({ version: 2, files, hardwareId: own, extra: field(65, "acme,other") }), S.ERR_PROTO_DUPLICATE_FIELD);
  });

  it("refuses field 65 with a varint wire type, an empty ID, a prefix of the ID and the ID with a trailing NUL", async () => {
    await refusedWith(targetsMetadata({ version: 2, files, extra: uintField(65, 1) }), S.ERR_PROTO_WIRE_TYPE);
    await refusedWith(targetsMetadata({ version: 2, files, hardwareId: "" }), S.ERR_WRONG_HARDWARE);
    await refusedWith(targetsMetadata({ version: 2, files, hardwareId: own.slice(0, -1) }), S.ERR_WRONG_HARDWARE);
    await refusedWith(targetsMetadata({ version: 2, files, hardwareId: own + "\0" }), S.ERR_WRONG_HARDWARE);
  });
});

describe("the update session record never blocks boot()", () => {
  // Found in review: an image whose layout has a smaller staging partition than the bundle that
  // installed it could never boot - the finished session's byte counts exceeded the new staging
  // size, boot() answered ERR_STORE_CORRUPT (after marking the trial tried), and the next
  // power-on reverted. The session is bookkeeping, not boot state: it must not veto a boot.
  it("boots an image installed by a bundle larger than the new layout's staging partition", async () => {
    const board = loadBoard("nrf52840");
    const shrunk = structuredClone(board);
    shrunk.partitions.staging.size = 64 * 1024;
    const big = image("review app v2, larger than the new staging", 100 * 1024);
    const d = newDevice(board);
    await d.device.provision(rootV1, { app: v1 });
    expect(d.device.update(goodBundle(2, { app: big }, [devTargets])).ok).toBe(true);
    const next = new SimDevice(d.flash, shrunk);
    const info = await next.powerOn();
    expect(info).toMatchObject({ slot: "b", trial: true, targetsVersion: 2 });
    expect(next.status().state).toBeOneOf([STATE.INACTIVE, STATE.FINISHED]);
    next.confirm();
    // The device then takes updates that fit its new staging partition.
    next.reset();
    expect(next.update(goodBundle(3, { app: v2 }, [devTargets])).ok).toBe(true);
  });
});

/** A flash port that records every program and erase range. */
class LoggingPort implements FlashPort {
  writes: Array<[number, number]> = [];
  constructor(readonly inner: NorFlash) {}
  read(addr: number, dst: Uint8Array): number {
    return this.inner.read(addr, dst);
  }
  program(addr: number, src: Uint8Array): number {
    this.writes.push([addr, addr + src.length]);
    return this.inner.program(addr, src);
  }
  erase(addr: number, len: number): number {
    this.writes.push([addr, addr + len]);
    return this.inner.erase(addr, len);
  }
}

describe("an image carried over to the new slot stays inside that slot", () => {
  // Found in review: the image of a target the bundle does not list is copied from the running
  // slot with the length its manifest recorded, which was never checked against the slot it is
  // copied into. Under a layout whose slot is smaller than that image (the image that runs now
  // passes another descriptor), the copy ran past the slot's end into its neighbour.
  it("refuses the install (ERR_TARGET_TOO_LARGE) and writes nothing outside the partitions", async () => {
    const board = loadBoard("nrf52840");
    const flash = new NorFlash(board.flash);
    await new SimDevice(flash, board).provision(rootV1, { app: v1 }); // 12 345 bytes
    const shrunk = structuredClone(board);
    shrunk.partitions.targets[0]!.slotSize = 8192; // smaller than the running image
    const port = new LoggingPort(flash);
    const device = new SimDevice(port, shrunk);
    const before = await device.powerOn();
    const um = image("review user manifest", 200);
    const meta = targetsMetadata({ version: 2, files: [{ name: "user_manifest", length: um.length, hash: sha256(um) }] });
    const outcome = device.update(bundle({ targets: signed(meta, [devTargets]), payloads: [["user_manifest", um]] }));
    expect({ ok: outcome.ok, result: outcome.result, error: outcome.errorName }).toEqual({
      ok: false, result: RESULT.APPLY_FAILED, error: "ERR_TARGET_TOO_LARGE",
    });
    const p = shrunk.partitions;
    const ranges = [p.metadata, p.staging, ...p.targets.flatMap((t) => [{ offset: t.slotA, size: t.slotSize }, { offset: t.slotB, size: t.slotSize }])];
    const outside = port.writes.filter(([s, e]) => !ranges.some((r) => s >= r.offset && e <= r.offset + r.size));
    expect(outside).toEqual([]);
    expect(await device.powerOn()).toEqual(before);
  });
});

describe("factory provisioning under a layout that changed mid-way", () => {
  // Found in review: provision_image kept streaming an image to the slot A of the layout it
  // started under. After a second configure() with another layout, the offset check used the new
  // slot size (u32 underflow when it was smaller than the bytes written) and the writes went to
  // the old address - outside every partition of the layout now in force.
  async function factoryAgent(port: FlashPort, board: ReturnType<typeof loadBoard>) {
    const agent = await instantiateAgent(port);
    const layout = encodeLayout(board);
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(S.OK);
    return agent;
  }
  function reconfigure(agent: Awaited<ReturnType<typeof instantiateAgent>>, board: ReturnType<typeof loadBoard>) {
    const layout = encodeLayout(board);
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(S.OK);
  }

  it("refuses to continue an image whose slot moved or shrank, writing nothing outside the partitions", async () => {
    const board = loadBoard("nrf52840");
    for (const change of ["shrunk", "moved"] as const) {
      const port = new LoggingPort(new NorFlash(board.flash));
      const agent = await factoryAgent(port, board);
      const io = agent.io();
      io.set(v1.subarray(0, 4096));
      expect(agent.exports.provision_image(0, 0, 4096)).toBe(S.OK);
      io.set(v1.subarray(4096, 8192));
      expect(agent.exports.provision_image(0, 4096, 4096)).toBe(S.OK);
      const other = structuredClone(board);
      const app = other.partitions.targets[0]!;
      if (change === "shrunk") app.slotSize = 4096;
      else [app.slotA, app.slotB] = [app.slotB, app.slotA];
      reconfigure(agent, other);
      port.writes = [];
      io.set(v1.subarray(8192, 12288));
      expect(agent.exports.provision_image(0, 8192, 4096)).toBe(S.ERR_PROVISION_REQUEST);
      const slotA = { offset: app.slotA, size: app.slotSize };
      const outside = port.writes.filter(([s, e]) => !(s >= slotA.offset && e <= slotA.offset + slotA.size));
      expect({ change, outside }).toEqual({ change, outside: [] });
    }
  });
});

describe("random ABI call sequences (an integrator or attacker calling in any order)", () => {
  // Pins, for any interleaving of update, provisioning, boot and crypto-surface calls with honest
  // and forged bundle bytes at any offsets and lengths, resets between calls and power cuts
  // (before, torn, after) at any flash operation: the agent never
  // traps, memory stays one page, every call answers OK/a count or a named negative code, and the
  // image that runs after any power-on is the factory image or the signed one, matching its manifest.
  it("never traps, never grows memory, and only ever runs a signed image", async () => {
    const board = loadBoard("nrf52840");
    const honest = goodBundle(2, { app: v2 }, [devTargets]);
    const forged = goodBundle(2, { app: image("forged app", v2.length) }, [prodTargets]); // untrusted key
    const spliced = concat(honest.subarray(0, honest.length - 5000), image("tail", 5000)); // hash fails
    const sources = [honest, forged, spliced];
    const allowed = new Set([sha256Hex(v1), sha256Hex(v2)]);
    const base = new NorFlash(board.flash);
    await new SimDevice(base, board).provision(rootV1, { app: v1 });
    const names = new Set(Object.keys(S));
    let installed = 0;
    let cuts = 0;
    const known = (rc: number) => rc >= 0 || [...names].some((n) => (S as Record<string, number>)[n] === rc);

    const call = fc.oneof(
      fc.record({ op: fc.constant("write"), src: fc.nat(2), at: fc.oneof(fc.constant(-1), fc.nat(70_000)), len: fc.oneof(fc.nat(4200), fc.constant(0xffffffff)) }),
      fc.record({ op: fc.constantFrom("start", "verify", "apply", "abort", "reset", "status", "boot_info", "confirm", "um_size", "powercycle", "finish") }),
      fc.record({ op: fc.constant("transferred"), n: fc.oneof(fc.constant(-1), fc.nat(70_000)) }),
      fc.record({ op: fc.constant("rest"), src: fc.nat(2) }),
      // A clean start and a finish are weighted up so that whole updates happen often.
      fc.record({ op: fc.constantFrom("start", "finish") }),
      fc.record({ op: fc.constant("cut"), k: fc.integer({ min: 1, max: 30 }), mode: fc.constantFrom(...POWER_CUT_MODES), seed: fc.nat() }),
      fc.record({ op: fc.constant("poll"), budget: fc.oneof(fc.nat(20_000), fc.constant(0xffffffff)) }),
      fc.record({ op: fc.constant("raw"), fn: fc.constantFrom("user_manifest_read", "provision_image", "provision", "sha256_update", "sha512_update", "ed25519_verify", "ed25519_verify_update", "configure", "attach"), a: fc.nat(), b: fc.nat(), c: fc.nat() }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 40, size: "max" }), async (calls) => {
        const flash = base.clone();
        let device = new SimDevice(flash, board);
        await device.powerOn();
        let sent = 0;
        const check = (rc: number) => {
          expect(known(rc)).toBe(true);
          expect(device.memoryBytes()).toBe(65536);
        };
        for (const c of calls) {
          try {
            await one(c);
          } catch (e) {
            if (!(e instanceof PowerCutError)) throw e;
            cuts++;
            flash.disarm();
            flash.powerOn();
            device = new SimDevice(flash, board);
            await device.powerOn();
            sent = device.status().state === STATE.TRANSFERRING ? device.status().bytesReceived : 0;
          }
        }
        async function one(c: (typeof calls)[number]) {
          const x = device.instance.exports;
          const io = device.instance.io();
          switch (c.op) {
            case "write": {
              const s = sources[(c as { src: number }).src]!;
              const at = (c as { at: number }).at === -1 ? sent : (c as { at: number }).at;
              const len = (c as { len: number }).len;
              const n = len === 0xffffffff ? len : Math.min(len, Math.max(0, s.length - at), 4096);
              if (n !== 0xffffffff && at < s.length) io.set(s.subarray(at, at + n));
              const rc = x.update_write(at >>> 0, n >>> 0);
              if (rc === S.OK && at === sent) sent += n;
              check(rc);
              break;
            }
            case "rest": {
              // The rest of one source from the bytes received, then set_transferred.
              const s = sources[(c as { src: number }).src]!;
              for (let rc = 0; rc === S.OK && sent < s.length; ) {
                const n = Math.min(4096, s.length - sent);
                io.set(s.subarray(sent, sent + n));
                rc = x.update_write(sent, n);
                check(rc);
                if (rc === S.OK) sent += n;
              }
              check(x.update_set_transferred(sent));
              break;
            }
            case "transferred": {
              const n = (c as { n: number }).n;
              check(x.update_set_transferred(n === -1 ? sent : n));
              break;
            }
            case "poll":
              check(x.update_poll((c as { budget: number }).budget >>> 0));
              break;
            case "raw": {
              const { fn, a, b, c: cc } = c as { fn: string; a: number; b: number; c: number };
              const f = (x as unknown as Record<string, (...args: number[]) => number>)[fn]!;
              const rc = f(a >>> 0, b >>> 0, cc >>> 0);
              check(typeof rc === "number" ? rc : 0);
              break;
            }
            case "cut": {
              const { k, mode, seed } = c as { k: number; mode: PowerCutMode; seed: number };
              flash.arm({ atOp: k, mode, seed });
              break;
            }
            case "powercycle":
              device = new SimDevice(flash, board);
              await device.powerOn();
              sent = device.status().state === STATE.TRANSFERRING ? device.status().bytesReceived : 0;
              break;
            case "finish": {
              // Drive whatever is staged through verify and apply.
              check(x.update_apply());
              let rc = 1;
              for (let i = 0; i < 10_000 && rc === 1; i++) rc = x.update_poll(65536);
              check(rc);
              break;
            }
            default: {
              const fn = { start: "update_start", verify: "update_verify", apply: "update_apply", abort: "update_abort", reset: "update_reset", status: "update_status", boot_info: "boot_info", confirm: "confirm", um_size: "user_manifest_size" }[c.op as string]!;
              check((x as unknown as Record<string, () => number>)[fn]!());
            }
          }
        }
        // Whatever happened, the next power-on runs a signed image that matches its manifest.
        flash.disarm();
        const info = await new SimDevice(flash, board).powerOn();
        const slots = targetSlots(board, "app");
        const running = flash.dump(info.slot === "a" ? slots.slotA : slots.slotB, info.lengths.app!);
        expect(allowed.has(sha256Hex(running))).toBe(true);
        expect(sha256Hex(running)).toBe(info.images.app);
        if (info.images.app === sha256Hex(v2)) installed++;
      }),
      { numRuns: Number(process.env.REVIEW_RUNS ?? 300), seed: Number(process.env.REVIEW_SEED ?? 20261128) },
    );
    expect(installed).toBeGreaterThan(0); // the honest update does get through some sequences
    expect(cuts).toBeGreaterThan(0);
  }, 120_000);
});
