// The reserved target "user_manifest" (Pigweed's Manifest.user_manifest): a product-defined blob
// the bundle lists and carries like any target, verified like any payload, never installed into a
// slot but kept with the device manifest of the slot it arrived with, and read by the firmware
// through user_manifest_size / user_manifest_read. Every test asserts what the device holds after.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, it, expect } from "vitest";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { loadBoard } from "../host-sim/boards.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import { bundle, signed, targetsMetadata, sha256, type FileSpec } from "./helpers/agent-craft.js";
import { NorFlash, PowerCutError } from "../host-sim/flash.js";
import { SimDevice } from "../host-sim/device.js";
import { encodeLayout } from "../host-sim/layout.js";
import { instantiateAgent } from "../host-sim/agent-module.js";
import { statusName } from "../host-sim/status.js";
import { personalizeBundle } from "../tools/format/index.js";
import { IO_WINDOW_BYTES, MAX_USER_MANIFEST_BYTES } from "../assembly/limits.js";
import * as S from "../assembly/status.js";

const { devTargets, rootV1 } = cast();
const appV1 = image("app v1", 12_000);
const appV2 = image("app v2", 13_000);
const appV3 = image("app v3", 14_000);
const um1 = new Uint8Array(Buffer.from(JSON.stringify({ product: "thermostat", build: "2026.11.1", features: ["a", "b"] })));
const um2 = new Uint8Array(Buffer.from(JSON.stringify({ product: "thermostat", build: "2026.12.0", channel: "beta" })));

function umBundle(version: number, payloads: Record<string, Uint8Array>): Uint8Array {
  return makeBundle({ targetsVersion: version, payloads, signers: [devTargets] });
}

/** A bundle with hand-made targets metadata (for what the tools refuse to build), signed for real. */
function craftedBundle(version: number, files: FileSpec[], payloads: Array<[string, Uint8Array]>): Uint8Array {
  return bundle({ targets: signed(targetsMetadata({ version, files }), [devTargets]), payloads });
}

function fileOf(name: string, data: Uint8Array): FileSpec {
  return { name, length: data.length, hash: sha256(data) };
}

/** Factory v1, then v2 carrying um1: installed, booted and confirmed. */
async function deviceRunningUm1(): Promise<TestDevice> {
  const d = newDevice();
  await d.device.provision(rootV1, { app: appV1 });
  expect(d.device.update(umBundle(2, { app: appV2, user_manifest: um1 })).ok).toBe(true);
  expect(await d.device.powerOn()).toMatchObject({ slot: "b", trial: true });
  d.device.confirm();
  return d;
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("hex");
}

describe("user manifest: accepted, kept with the manifest, read by the firmware", () => {
  it("a factory device has none; after an update it is readable once the new slot runs", async () => {
    const d = newDevice();
    await d.device.provision(rootV1, { app: appV1 });
    expect(d.device.userManifest()).toBeUndefined();
    expect(d.device.instance.exports.user_manifest_size()).toBe(S.ERR_USER_MANIFEST_ABSENT);
    expect(d.device.instance.exports.user_manifest_read(0, 16)).toBe(S.ERR_USER_MANIFEST_ABSENT);

    const outcome = d.device.update(umBundle(2, { app: appV2, user_manifest: um1 }));
    expect(outcome).toMatchObject({ ok: true, errorName: "OK" });
    // Installed but not running yet: the running slot's manifest (the factory's) has none.
    expect(d.device.bootInfo()).toMatchObject({ slot: "a", pending: true });
    expect(d.device.userManifest()).toBeUndefined();

    const trial = await d.device.powerOn();
    expect(trial).toMatchObject({ slot: "b", trial: true, targetsVersion: 2 });
    expect(Object.keys(trial.images)).toEqual(["app"]); // not an image, not in a slot
    expect(runningImageHash(d, trial)).toBe(sha256Hex(appV2));
    expect(d.device.instance.exports.user_manifest_size()).toBe(um1.length);
    expect(hex(d.device.userManifest())).toBe(hex(um1));
  });

  it("survives power cycles, before and after confirm", async () => {
    const d = await deviceRunningUm1();
    for (let i = 0; i < 3; i++) {
      const info = await d.device.powerOn();
      expect(info).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
      expect(hex(d.device.userManifest())).toBe(hex(um1));
    }
  });

  it("a revert of an unconfirmed update restores the previous user manifest", async () => {
    const d = await deviceRunningUm1();
    expect(d.device.update(umBundle(3, { app: appV3, user_manifest: um2 })).ok).toBe(true);
    expect(await d.device.powerOn()).toMatchObject({ slot: "a", trial: true, targetsVersion: 3 });
    expect(hex(d.device.userManifest())).toBe(hex(um2));
    // Power-on again without confirm: the trial failed, the previous slot runs with its pair.
    const reverted = await d.device.powerOn();
    expect(reverted).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
    expect(runningImageHash(d, reverted)).toBe(sha256Hex(appV2));
    expect(hex(d.device.userManifest())).toBe(hex(um1));
  });

  it("a confirmed update replaces it; the replaced slot's record is never served again", async () => {
    const d = await deviceRunningUm1();
    expect(d.device.update(umBundle(3, { app: appV3, user_manifest: um2 })).ok).toBe(true);
    await d.device.powerOn();
    d.device.confirm();
    expect(await d.device.powerOn()).toMatchObject({ slot: "a", trial: false, targetsVersion: 3 });
    expect(hex(d.device.userManifest())).toBe(hex(um2));
  });

  it("belongs to the bundle, as in Pigweed: a bundle that does not list it leaves none; a revert brings it back", async () => {
    const d = await deviceRunningUm1();
    expect(d.device.update(umBundle(3, { app: appV3 })).ok).toBe(true);
    expect(await d.device.powerOn()).toMatchObject({ slot: "a", targetsVersion: 3 });
    expect(d.device.userManifest()).toBeUndefined();
    expect(await d.device.powerOn()).toMatchObject({ slot: "b", targetsVersion: 2 });
    expect(hex(d.device.userManifest())).toBe(hex(um1));
  });

  it("personalized out, it must equal the running one and is carried over to the new slot", async () => {
    const d = await deviceRunningUm1();
    const full = umBundle(3, { app: appV3, user_manifest: um1 });
    expect(d.device.update(personalizeBundle(full, ["user_manifest"])).ok).toBe(true);
    expect(await d.device.powerOn()).toMatchObject({ slot: "a", targetsVersion: 3 });
    expect(hex(d.device.userManifest())).toBe(hex(um1));
  });

  it("personalized out but different from (or absent on) the device: refused, nothing changes", async () => {
    const d = await deviceRunningUm1();
    const other = personalizeBundle(umBundle(3, { app: appV3, user_manifest: um2 }), ["user_manifest"]);
    expect(d.device.update(other).errorName).toBe("ERR_PERSONALIZED_MISMATCH");
    expect(await d.device.powerOn()).toMatchObject({ slot: "b", targetsVersion: 2 });
    expect(hex(d.device.userManifest())).toBe(hex(um1));

    const fresh = newDevice();
    await fresh.device.provision(rootV1, { app: appV1 });
    const absent = personalizeBundle(umBundle(2, { app: appV2, user_manifest: um1 }), ["user_manifest"]);
    expect(fresh.device.update(absent).errorName).toBe("ERR_PERSONALIZED_UNKNOWN");
    expect(await fresh.device.powerOn()).toMatchObject({ slot: "a", targetsVersion: 0 });
    expect(fresh.device.userManifest()).toBeUndefined();
  });

  it("accepts exactly MAX_USER_MANIFEST_BYTES", async () => {
    const d = newDevice();
    await d.device.provision(rootV1, { app: appV1 });
    const largest = image("largest user manifest", MAX_USER_MANIFEST_BYTES);
    expect(d.device.update(umBundle(2, { app: appV2, user_manifest: largest })).ok).toBe(true);
    await d.device.powerOn();
    expect(hex(d.device.userManifest())).toBe(hex(largest));
  });

  it("a bundle may carry only a user manifest: the images are carried over, the manifest is new", async () => {
    const d = await deviceRunningUm1();
    expect(d.device.update(umBundle(3, { user_manifest: um2 })).ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "a", targetsVersion: 3 });
    expect(runningImageHash(d, info)).toBe(sha256Hex(appV2));
    expect(hex(d.device.userManifest())).toBe(hex(um2));
  });
});

describe("user manifest: rejected bundles change nothing", () => {
  const tooLarge = image("too large", MAX_USER_MANIFEST_BYTES + 1);
  const cases: Array<[string, () => Uint8Array, string]> = [
    ["a payload whose SHA-256 differs from the signed one", () => craftedBundle(3,
      [fileOf("app", appV3), { name: "user_manifest", length: um2.length, hash: sha256(um1.subarray(0, um2.length)) }],
      [["app", appV3], ["user_manifest", um2]]), "ERR_TARGET_HASH_MISMATCH"],
    ["a payload of another length than the signed one", () => craftedBundle(3,
      [fileOf("app", appV3), { name: "user_manifest", length: um2.length + 1, hash: sha256(um2) }],
      [["app", appV3], ["user_manifest", um2]]), "ERR_TARGET_LENGTH_MISMATCH"],
    ["one longer than MAX_USER_MANIFEST_BYTES", () => craftedBundle(3,
      [fileOf("app", appV3), fileOf("user_manifest", tooLarge)],
      [["app", appV3], ["user_manifest", tooLarge]]), "ERR_USER_MANIFEST_TOO_LARGE"],
    ["one listed twice", () => craftedBundle(3,
      [fileOf("app", appV3), fileOf("user_manifest", um2), fileOf("user_manifest", um2)],
      [["app", appV3], ["user_manifest", um2]]), "ERR_PROTO_DUPLICATE_KEY"],
    ["its payload carried twice", () => craftedBundle(3,
      [fileOf("app", appV3), fileOf("user_manifest", um2)],
      [["app", appV3], ["user_manifest", um2], ["user_manifest", um2]]), "ERR_PROTO_DUPLICATE_KEY"],
    ["an empty one", () => craftedBundle(3,
      [fileOf("app", appV3), { name: "user_manifest", length: 0, hash: sha256(new Uint8Array()) }],
      [["app", appV3]]), "ERR_TARGET_EMPTY"],
    ["its payload carried but not listed", () => craftedBundle(3,
      [fileOf("app", appV3)],
      [["app", appV3], ["user_manifest", um2]]), "ERR_PAYLOAD_UNLISTED"],
  ];

  for (const [what, make, code] of cases) {
    it(`refuses ${what} (${code}); the manifest, user manifest and running image stay`, async () => {
      const d = await deviceRunningUm1();
      const outcome = d.device.update(make());
      expect(outcome.ok).toBe(false);
      expect(outcome.errorName).toBe(code);
      expect(d.device.bootInfo()).toMatchObject({ slot: "b", pending: false, targetsVersion: 2 });
      expect(hex(d.device.userManifest())).toBe(hex(um1));
      const after = await d.device.powerOn();
      expect(after).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
      expect(runningImageHash(d, after)).toBe(sha256Hex(appV2));
      expect(hex(d.device.userManifest())).toBe(hex(um1));
    });
  }
});

describe("user_manifest_read: every input answers with a code, never a trap", () => {
  it("reads any window of the bytes; refuses offsets past the end and lengths past the window", async () => {
    const d = await deviceRunningUm1();
    const x = d.device.instance.exports;
    const io = () => d.device.instance.io();
    expect(x.user_manifest_read(5, 7)).toBe(7);
    expect(hex(io().slice(0, 7))).toBe(hex(um1.subarray(5, 12)));
    expect(x.user_manifest_read(um1.length - 3, 100)).toBe(3); // clipped at the end
    expect(hex(io().slice(0, 3))).toBe(hex(um1.subarray(um1.length - 3)));
    expect(x.user_manifest_read(um1.length, 10)).toBe(0); // the end
    expect(x.user_manifest_read(0, 0)).toBe(0);
    expect(x.user_manifest_read(um1.length + 1, 1)).toBe(S.ERR_USER_MANIFEST_RANGE);
    expect(x.user_manifest_read(0xffffffff, 1)).toBe(S.ERR_USER_MANIFEST_RANGE);
    expect(x.user_manifest_read(0, IO_WINDOW_BYTES + 1)).toBe(S.ERR_IO_RANGE);
    expect(x.user_manifest_read(0, 0xffffffff)).toBe(S.ERR_IO_RANGE);
    expect(x.user_manifest_read(0, IO_WINDOW_BYTES)).toBe(um1.length);
  });

  it("random offsets and lengths give a code or the right bytes; memory stays one page", async () => {
    const d = await deviceRunningUm1();
    const x = d.device.instance.exports;
    let seed = 77;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    for (let i = 0; i < 500; i++) {
      const offset = i % 3 === 0 ? rand() : rand() % (um1.length + 8);
      const len = i % 5 === 0 ? rand() : rand() % (IO_WINDOW_BYTES + 8);
      const rc = x.user_manifest_read(offset, len);
      if (len > IO_WINDOW_BYTES) expect(rc).toBe(S.ERR_IO_RANGE);
      else if (offset > um1.length) expect(rc).toBe(S.ERR_USER_MANIFEST_RANGE);
      else {
        expect(rc).toBe(Math.min(len, um1.length - offset));
        expect(hex(d.device.instance.io().slice(0, rc))).toBe(hex(um1.subarray(offset, offset + rc)));
      }
    }
    expect(d.device.memoryBytes()).toBe(65536);
  });

  it("answers ERR_NOT_BOOTED before boot()", async () => {
    const d = await deviceRunningUm1();
    const agent = await instantiateAgent(d.flash);
    const layout = encodeLayout(d.board);
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(S.OK);
    expect(agent.exports.user_manifest_size()).toBe(S.ERR_NOT_BOOTED);
    expect(agent.exports.user_manifest_read(0, 4)).toBe(S.ERR_NOT_BOOTED);
  });
});

describe("user manifest: layouts and power cuts", () => {
  it("a layout may not name a slot target user_manifest (ERR_LAYOUT_TARGET)", async () => {
    const d = newDevice();
    const board = structuredClone(d.board);
    board.partitions.targets[0]!.name = "user_manifest";
    const agent = await instantiateAgent(new NorFlash(board.flash));
    const layout = encodeLayout(board);
    agent.io().set(layout);
    expect(statusName(agent.exports.configure(layout.length))).toBe("ERR_LAYOUT_TARGET");
  });

  it("provisioning may declare a user manifest (the host verifier's device), bounded like a bundle's", async () => {
    const d = newDevice();
    const declared = (length: number) => ({ user_manifest: { length, sha256: sha256(um1) } });
    await expect(d.device.provision(rootV1, { app: appV1 }, { declared: declared(MAX_USER_MANIFEST_BYTES + 1) }))
      .rejects.toThrow(/ERR_PROVISION_REQUEST/);
    await expect(d.device.provision(rootV1, { app: appV1 }, { declared: declared(0) })).rejects.toThrow(/ERR_PROVISION_REQUEST/);
    await d.device.provision(rootV1, { app: appV1 }, { declared: { user_manifest: { length: um1.length, sha256: sha256(um1) } } });
    // Declared only (no bytes): a bundle personalizing out that user manifest verifies against it.
    const personalized = personalizeBundle(umBundle(2, { app: appV2, user_manifest: um1 }), ["user_manifest"]);
    expect(d.device.verify(personalized)).toMatchObject({ ok: true });
  });

  it("a power cut at any program/erase of the install leaves the old pair or the new pair, never a mix", async () => {
    const base = await deviceRunningUm1();
    base.device.powerOff();
    const update = umBundle(3, { app: appV3, user_manifest: um2 });
    const sides = {
      2: { slot: "b", image: sha256Hex(appV2), um: hex(um1) },
      3: { slot: "a", image: sha256Hex(appV3), um: hex(um2) },
    } as const;
    // Count the program/erase operations of the whole update on a copy.
    const clean = base.flash.clone();
    const cleanDevice = new SimDevice(clean, base.board);
    await cleanDevice.powerOn();
    const start = clean.operations;
    expect(cleanDevice.update(update).ok).toBe(true);
    const total = clean.operations - start;
    expect(total).toBeGreaterThan(10);

    const seen = new Set<number>();
    for (let k = 1; k <= total; k++) {
      for (const mode of ["before", "torn"] as const) {
        const flash = base.flash.clone();
        const device = new SimDevice(flash, base.board);
        await device.powerOn();
        flash.arm({ atOp: k, mode, seed: k });
        expect(() => device.update(update)).toThrow(PowerCutError);
        flash.powerOn();
        // Twice: the first power-on may start a trial, the second may revert it.
        for (let boot = 0; boot < 2; boot++) {
          const info = await device.powerOn();
          const side = sides[info.targetsVersion as 2 | 3];
          expect(side, `cut ${k} ${mode}: targets version ${info.targetsVersion}`).toBeDefined();
          seen.add(info.targetsVersion);
          expect(info.slot).toBe(side.slot);
          expect(runningImageHash({ board: base.board, flash, device }, info)).toBe(side.image);
          expect(hex(device.userManifest()), `cut ${k} ${mode}`).toBe(side.um);
        }
      }
    }
    // The sweep reached both sides: cuts after the switch boot the new pair (then revert it).
    expect([...seen].sort()).toEqual([2, 3]);
  }, 120_000);
});

describe("user manifest: a device whose records an earlier agent wrote", () => {
  // A firmware update replaces the agent too: the new agent must read the manifest records the
  // old one left (no user manifest entry, no user manifest records) and update from them.
  const vector = JSON.parse(readFileSync(new URL("./vectors/legacy-metadata-nrf52840.json", import.meta.url), "utf8")) as {
    metadataGzipBase64: string; slotB: { label: string; length: number }; targetsVersion: number;
  };

  function legacyDevice(): TestDevice {
    const board = loadBoard("nrf52840");
    const flash = new NorFlash(board.flash);
    const unit = board.flash.writeUnit;
    const program = (addr: number, bytes: Uint8Array) => {
      for (let at = 0; at < bytes.length; at += unit) {
        const piece = bytes.subarray(at, at + unit);
        if (piece.some((b) => b !== board.flash.erasedValue)) expect(flash.program(addr + at, piece)).toBe(0);
      }
    };
    program(board.partitions.metadata.offset, new Uint8Array(gunzipSync(Buffer.from(vector.metadataGzipBase64, "base64"))));
    program(board.partitions.targets[0]!.slotB, image(vector.slotB.label, vector.slotB.length));
    return { board, flash, device: new SimDevice(flash, board) };
  }

  it("boots with the old manifest and no user manifest, takes an update with one, and reverts to the old pair", async () => {
    const d = legacyDevice();
    const before = await d.device.powerOn();
    expect(before).toMatchObject({ slot: "b", trial: false, targetsVersion: vector.targetsVersion });
    expect(runningImageHash(d, before)).toBe(before.images.app);
    expect(d.device.userManifest()).toBeUndefined();

    expect(d.device.update(umBundle(3, { app: appV3, user_manifest: um2 })).ok).toBe(true);
    expect(await d.device.powerOn()).toMatchObject({ slot: "a", trial: true, targetsVersion: 3 });
    expect(hex(d.device.userManifest())).toBe(hex(um2));
    const reverted = await d.device.powerOn();
    expect(reverted).toMatchObject({ slot: "b", trial: false, targetsVersion: vector.targetsVersion, images: before.images });
    expect(d.device.userManifest()).toBeUndefined();
  });
});
