// Every verification rule of DESIGN.md, through the real agent on a simulated nRF52840: each
// rejection names its code and leaves the device exactly as it was (root, manifest, running
// slot and its bytes), except that a bundle root which itself verified is kept.
import { describe, it, expect } from "vitest";
import * as S from "../assembly/status.js";
import { cast, image, keyFromLabel, makeBundle, makeRoot } from "./helpers/fixtures.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import {
  bundle, concat, field, goodBundle, rootMetadata, sha256, signed, targetsMetadata, uintField, common,
} from "./helpers/agent-craft.js";
import { loadBoard } from "../host-sim/boards.js";
import { RESULT, STATE, type BootInfo } from "../host-sim/device.js";
import { personalizeBundle } from "../tools/format/index.js";

const { devRoot, devTargets, prodRoot, prodTargets, rootV1, rootV2 } = cast();
const v1 = image("factory app", 12_345);
const v2 = image("app v2", 13_000);

async function factory(): Promise<{ d: TestDevice; before: BootInfo }> {
  const d = newDevice();
  const before = await d.device.provision(rootV1, { app: v1 });
  return { d, before };
}

/** The update is refused with `code` and nothing on the device changed (also after a reboot). */
async function expectRejected(d: TestDevice, before: BootInfo, b: Uint8Array, code: number, rootVersion = before.rootVersion) {
  const outcome = d.device.update(b);
  expect({ error: outcome.errorName, ok: outcome.ok }).toEqual({ error: S_NAME(code), ok: false });
  expect(outcome.state).toBe(STATE.FINISHED);
  expect(outcome.result).toBe(RESULT.VERIFY_FAILED);
  const after = await d.device.powerOn();
  expect(after).toEqual({ ...before, rootVersion });
  expect(runningImageHash(d, after)).toBe(before.images.app);
}

function S_NAME(code: number): string {
  const entry = Object.entries(S).find(([, v]) => v === code);
  return entry ? entry[0] : `code ${code}`;
}

describe("targets signatures", () => {
  it("accepts a bundle signed by the trusted targets key", async () => {
    const { d } = await factory();
    expect(d.device.update(goodBundle(1, { app: v2 }, [devTargets])).ok).toBe(true);
  });

  it("rejects an unsigned bundle", async () => {
    const { d, before } = await factory();
    await expectRejected(d, before, goodBundle(1, { app: v2 }, []), S.ERR_TARGETS_NOT_SIGNED);
  });

  it("rejects a bundle signed by a key the root does not trust for targets", async () => {
    const { d, before } = await factory();
    await expectRejected(d, before, goodBundle(1, { app: v2 }, [keyFromLabel("stranger")]), S.ERR_TARGETS_NOT_SIGNED);
    // The root key is trusted, but not for the targets role.
    await expectRejected(d, before, goodBundle(1, { app: v2 }, [devRoot]), S.ERR_TARGETS_NOT_SIGNED);
  });

  it("rejects a signature made over other bytes", async () => {
    const { d, before } = await factory();
    const meta = targetsMetadata({ version: 3, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] });
    const other = targetsMetadata({ version: 4, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] });
    const sig = signed(other, [devTargets]).subarray(field(1, other).length); // the signature entries only
    await expectRejected(d, before, bundle({ targets: concat(field(1, meta), sig), payloads: [["app", v2]] }), S.ERR_TARGETS_NOT_SIGNED);
  });

  it("counts each key once: one key's signature twice does not meet a threshold of 2", async () => {
    const t2 = keyFromLabel("second targets key");
    const root = makeRoot({ rootKeys: [devRoot], targetsKeys: [devTargets, t2], targetsThreshold: 2, version: 1 });
    const d = newDevice();
    const before = await d.device.provision(root, { app: v1 });
    await expectRejected(d, before, goodBundle(1, { app: v2 }, [devTargets, devTargets]), S.ERR_TARGETS_NOT_SIGNED);
    expect(d.device.update(goodBundle(1, { app: v2 }, [devTargets, t2])).ok).toBe(true);
  });

  it("rejects a signature whose key ID field does not match its key", async () => {
    const { d, before } = await factory();
    const meta = targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] });
    const stranger = keyFromLabel("stranger");
    // A stranger's signature labelled with the trusted key's ID.
    const forged = concat(field(1, meta), field(2, concat(field(1, devTargets.keyId), field(2, signed(meta, [stranger]).subarray(field(1, meta).length + 2 + 34 + 2)))));
    await expectRejected(d, before, bundle({ targets: forged, payloads: [["app", v2]] }), S.ERR_TARGETS_NOT_SIGNED);
  });
});

describe("bounds", () => {
  it("refuses more signatures than MAX_SIGNATURES and more keys than MAX_ROOT_KEYS", async () => {
    const { d, before } = await factory();
    const nine = Array.from({ length: 9 }, () => devTargets);
    await expectRejected(d, before, goodBundle(1, { app: v2 }, nine), S.ERR_PROTO_TOO_MANY);
    const keys = Array.from({ length: 9 }, (_, i) => keyFromLabel(`key ${i}`));
    const crowded = rootMetadata({ version: 2, keys: keys.map((key) => ({ key })), rootKeys: [keys[0]], targetsKeys: [keys[1]] });
    const targets = signed(targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [keys[1]]);
    await expectRejected(d, before, bundle({ root: signed(crowded, [devRoot, keys[0]]), targets, payloads: [["app", v2]] }), S.ERR_PROTO_TOO_MANY);
  });

  it("refuses a bundle root larger than MAX_ROOT_METADATA_BYTES before reading it", async () => {
    const { d, before } = await factory();
    const targets = signed(targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [devTargets]);
    await expectRejected(d, before, bundle({ root: new Uint8Array(3073), targets, payloads: [["app", v2]] }), S.ERR_ROOT_TOO_LARGE);
  });
});

describe("targets metadata", () => {
  it("refuses a targets version older than the installed one; an equal one only as a re-install of what runs", async () => {
    const { d } = await factory();
    expect(d.device.update(goodBundle(5, { app: v2 }, [devTargets])).ok).toBe(true);
    let before = await d.device.powerOn();
    d.device.confirm();
    before = await d.device.powerOn();
    expect(before.targetsVersion).toBe(5);
    await expectRejected(d, before, goodBundle(4, { app: v1 }, [devTargets]), S.ERR_TARGETS_ROLLBACK);
    await expectRejected(d, before, goodBundle(5, { app: v1 }, [devTargets]), S.ERR_TARGETS_VERSION_REUSED);
    expect(d.device.update(goodBundle(5, { app: v2 }, [devTargets])).ok).toBe(true);
  });

  it("refuses metadata without a version, and root metadata presented as targets", async () => {
    const { d, before } = await factory();
    const noVersion = targetsMetadata({ files: [{ name: "app", length: v2.length, hash: sha256(v2) }] });
    await expectRejected(d, before, bundle({ targets: signed(noVersion, [devTargets]), payloads: [["app", v2]] }), S.ERR_TARGETS_VERSION_MISSING);
    const rootBytes = rootMetadata({ version: 9, keys: [{ key: devTargets }], rootKeys: [devTargets], targetsKeys: [devTargets] });
    await expectRejected(d, before, bundle({ targets: signed(rootBytes, [devTargets]), payloads: [["app", v2]] }), S.ERR_TARGETS_ROLE);
  });

  it("checks each target: known name, length within the slot, a SHA-256, the payload's length and hash", async () => {
    const { d, before } = await factory();
    const slot = d.board.partitions.targets[0].slotSize;
    const make = (files: Parameters<typeof targetsMetadata>[0]["files"], payload: Uint8Array = v2) =>
      bundle({ targets: signed(targetsMetadata({ version: 1, files }), [devTargets]), payloads: [[files[0].name, payload]] });
    await expectRejected(d, before, make([{ name: "bootloader", length: v2.length, hash: sha256(v2) }]), S.ERR_TARGET_UNKNOWN);
    await expectRejected(d, before, make([{ name: "app", length: slot + 1, hash: sha256(v2) }]), S.ERR_TARGET_TOO_LARGE);
    await expectRejected(d, before, make([{ name: "app", length: 2n ** 63n, hash: sha256(v2) }]), S.ERR_TARGET_TOO_LARGE);
    await expectRejected(d, before, make([{ name: "app", length: v2.length }]), S.ERR_TARGET_HASH_MISSING);
    await expectRejected(d, before, make([{ name: "app", length: v2.length - 1, hash: sha256(v2) }]), S.ERR_TARGET_LENGTH_MISMATCH);
    await expectRejected(d, before, make([{ name: "app", length: v2.length, hash: sha256(v1) }]), S.ERR_TARGET_HASH_MISMATCH);
    const altered = v2.slice();
    altered[777] ^= 1;
    await expectRejected(d, before, make([{ name: "app", length: v2.length, hash: sha256(v2) }], altered), S.ERR_TARGET_HASH_MISMATCH);
    await expectRejected(d, before, make([{ name: "app", length: 0, hash: sha256(new Uint8Array()) }], new Uint8Array()), S.ERR_TARGET_EMPTY);
  });

  it("binds a bundle to hardware: its own ID is accepted, another refused", async () => {
    const { d, before } = await factory();
    const bad = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [devTargets], hardwareId: "st,stm32f407" });
    await expectRejected(d, before, bad, S.ERR_WRONG_HARDWARE);
    const good = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [devTargets], hardwareId: d.board.hardwareId });
    expect(d.device.update(good).ok).toBe(true);
  });

  it("rejects duplicate singular fields and duplicate map keys", async () => {
    const { d, before } = await factory();
    const files = [{ name: "app", length: v2.length, hash: sha256(v2) }];
    const twoCommons = targetsMetadata({ version: 1, files, extra: field(1, common(7, "targets")) });
    await expectRejected(d, before, bundle({ targets: signed(twoCommons, [devTargets]), payloads: [["app", v2]] }), S.ERR_PROTO_DUPLICATE_FIELD);
    const twiceListed = targetsMetadata({ version: 1, files: [...files, ...files] });
    await expectRejected(d, before, bundle({ targets: signed(twiceListed, [devTargets]), payloads: [["app", v2]] }), S.ERR_PROTO_DUPLICATE_KEY);
    const good = signed(targetsMetadata({ version: 1, files }), [devTargets]);
    await expectRejected(d, before, bundle({ targets: good, payloads: [["app", v2], ["app", v1]] }), S.ERR_PROTO_DUPLICATE_KEY);
    const entry = field(3, concat(field(1, "targets"), field(2, good)));
    const twoTargets = concat(entry, entry, field(4, concat(field(1, "app"), field(2, v2))));
    await expectRejected(d, before, twoTargets, S.ERR_PROTO_DUPLICATE_KEY);
    const twoLengths = targetsMetadata({ version: 1, files: [], extra: field(2, concat(field(1, "app"), uintField(2, 1), uintField(2, v2.length), field(3, concat(uintField(1, 1), field(2, sha256(v2)))))) });
    await expectRejected(d, before, bundle({ targets: signed(twoLengths, [devTargets]), payloads: [["app", v2]] }), S.ERR_PROTO_DUPLICATE_FIELD);
  });
});

describe("root rotation", () => {
  it("rotates to a root signed by the old and the new root keys, then trusts only the new keys", async () => {
    const { d } = await factory();
    const b = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [prodTargets], root: rootV2 });
    expect(d.device.update(b).ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ rootVersion: 2, slot: "b" });
    d.device.confirm();
    const before = await d.device.powerOn();
    await expectRejected(d, before, goodBundle(2, { app: v1 }, [devTargets]), S.ERR_TARGETS_NOT_SIGNED);
    expect(d.device.update(goodBundle(2, { app: v1 }, [prodTargets])).ok).toBe(true);
  });

  it("refuses a new root signed only by the old keys, and keeps the old root", async () => {
    const { d, before } = await factory();
    const onlyOld = makeRoot({ rootKeys: [prodRoot], targetsKeys: [prodTargets], version: 2, signers: [devRoot] });
    await expectRejected(d, before, makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [prodTargets], root: onlyOld }), S.ERR_ROOT_NOT_SELF_SIGNED);
  });

  it("refuses a new root signed only by its own keys", async () => {
    const { d, before } = await factory();
    const onlyNew = makeRoot({ rootKeys: [prodRoot], targetsKeys: [prodTargets], version: 2, signers: [prodRoot] });
    await expectRejected(d, before, makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [prodTargets], root: onlyNew }), S.ERR_ROOT_NOT_SIGNED_BY_TRUSTED);
  });

  it("refuses a root whose signature was made over other bytes", async () => {
    const { d, before } = await factory();
    const serialized = rootMetadata({ version: 2, keys: [{ key: prodRoot }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] });
    const other = rootMetadata({ version: 3, keys: [{ key: prodRoot }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] });
    const sigs = signed(other, [devRoot, prodRoot]).subarray(field(1, other).length);
    const root = concat(field(1, serialized), sigs);
    await expectRejected(d, before, bundle({ root, targets: signed(targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [prodTargets]), payloads: [["app", v2]] }), S.ERR_ROOT_NOT_SIGNED_BY_TRUSTED);
  });

  it("refuses an older root, and a reused version with other content; accepts the same root again", async () => {
    const { d } = await factory();
    expect(d.device.update(makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [prodTargets], root: rootV2 })).ok).toBe(true);
    await d.device.powerOn();
    d.device.confirm();
    const before = await d.device.powerOn();
    const oldRoot = makeRoot({ rootKeys: [prodRoot], targetsKeys: [prodTargets], version: 1, signers: [prodRoot] });
    await expectRejected(d, before, makeBundle({ targetsVersion: 2, payloads: { app: v1 }, signers: [prodTargets], root: oldRoot }), S.ERR_ROOT_ROLLBACK);
    const reused = makeRoot({ rootKeys: [prodRoot], targetsKeys: [prodTargets, devTargets], version: 2, signers: [prodRoot] });
    await expectRejected(d, before, makeBundle({ targetsVersion: 2, payloads: { app: v1 }, signers: [prodTargets], root: reused }), S.ERR_ROOT_VERSION_REUSED);
    expect(d.device.update(makeBundle({ targetsVersion: 2, payloads: { app: v1 }, signers: [prodTargets], root: rootV2 })).ok).toBe(true);
  });

  it("keeps a new root that verified even when the rest of the bundle is rejected", async () => {
    const { d, before } = await factory();
    const b = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [devTargets], root: rootV2 });
    await expectRejected(d, before, b, S.ERR_TARGETS_NOT_SIGNED, 2);
  });

  it("refuses roots with a wrong key ID, a non-Ed25519 key, a zero threshold, no version or the wrong role", async () => {
    const { d, before } = await factory();
    const targets = signed(targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [prodTargets]);
    const cases: Array<[Parameters<typeof rootMetadata>[0], number]> = [
      [{ version: 2, keys: [{ key: prodRoot, keyId: sha256(prodRoot.raw) }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] }, S.ERR_KEY_ID_MISMATCH],
      [{ version: 2, keys: [{ key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] }, S.ERR_KEY_UNKNOWN],
      [{ version: 2, keys: [{ key: prodRoot, scheme: 3 }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] }, S.ERR_KEY_UNSUPPORTED],
      [{ version: 2, keys: [{ key: prodRoot }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets], targetsThreshold: 0 }, S.ERR_THRESHOLD_ZERO],
      [{ keys: [{ key: prodRoot }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] }, S.ERR_ROOT_VERSION_MISSING],
      [{ version: 2, role: "targets", keys: [{ key: prodRoot }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] }, S.ERR_ROOT_ROLE],
      [{ version: 2, keys: [{ key: prodRoot }, { key: prodRoot }, { key: prodTargets }], rootKeys: [prodRoot], targetsKeys: [prodTargets] }, S.ERR_PROTO_DUPLICATE_KEY],
    ];
    for (const [spec, code] of cases) {
      const root = signed(rootMetadata(spec), [devRoot, prodRoot]);
      await expectRejected(d, before, bundle({ root, targets, payloads: [["app", v2]] }), code);
    }
    // A key listed under another key's ID.
    const wrongId = rootMetadata({ version: 2, keys: [{ key: prodRoot, keyId: prodTargets.keyId }], rootKeys: [prodTargets], targetsKeys: [prodTargets] });
    await expectRejected(d, before, bundle({ root: signed(wrongId, [devRoot]), targets, payloads: [["app", v2]] }), S.ERR_KEY_ID_MISMATCH);
  });
});

describe("personalized-out payloads", () => {
  it("accepts a payload left out when the device runs exactly that image", async () => {
    const { d } = await factory();
    const full = makeBundle({ targetsVersion: 2, payloads: { app: v1 }, signers: [devTargets] });
    const outcome = d.device.update(personalizeBundle(full, ["app"]));
    expect(outcome.ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "b", targetsVersion: 2 });
    expect(runningImageHash(d, info)).toBe(sha256Hex(v1));
  });

  it("refuses a payload left out when the device runs another image", async () => {
    const { d, before } = await factory();
    const full = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [devTargets] });
    await expectRejected(d, before, personalizeBundle(full, ["app"]), S.ERR_PERSONALIZED_MISMATCH);
  });

  it("refuses a payload left out when the device has no image of that target", async () => {
    const d = newDevice();
    const before = await d.device.provision(rootV1, {});
    const full = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [devTargets] });
    const outcome = d.device.update(personalizeBundle(full, ["app"]));
    expect(outcome.errorName).toBe("ERR_PERSONALIZED_UNKNOWN");
    expect(await d.device.powerOn()).toEqual(before);
  });
});

describe("payloads not listed in the signed metadata", () => {
  it("are refused before any of their bytes reach flash, staging included", async () => {
    const base = loadBoard("nrf52840");
    const board = structuredClone(base);
    board.partitions.targets.push({ name: "net", slotA: 0xe0000 - 0x10000, slotB: 0xe0000 - 0x8000, slotSize: 0x8000 });
    board.partitions.staging = { offset: 0xe0000, size: 0x20000 };
    const d = newDevice(board);
    const net = image("net core", 5000);
    const before = await d.device.provision(rootV1, { app: v1, net });
    const smuggled = image("smuggled", 6000);
    const targets = signed(targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [devTargets]);
    const flashHas = (bytes: Uint8Array) => Buffer.from(d.flash.dump()).indexOf(Buffer.from(bytes.subarray(100, 164))) >= 0;
    // A layout target the metadata does not list, and a name no layout has.
    for (const name of ["net", "elsewhere"]) {
      const b = bundle({ targets, payloads: [["app", v2], [name, smuggled]] });
      const outcome = d.device.update(b);
      expect(outcome).toMatchObject({ ok: false, errorName: "ERR_PAYLOAD_UNLISTED" });
      expect(flashHas(smuggled)).toBe(false);
      expect(await d.device.powerOn()).toEqual(before);
    }
    // The same bundle without the smuggled payload installs.
    expect(d.device.update(bundle({ targets, payloads: [["app", v2]] })).ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info.images).toEqual({ app: sha256Hex(v2), net: sha256Hex(net) });
  });

  it("refuses payloads before the metadata, unknown top-level fields and metadata after payloads", async () => {
    const { d, before } = await factory();
    const targets = signed(targetsMetadata({ version: 1, files: [{ name: "app", length: v2.length, hash: sha256(v2) }] }), [devTargets]);
    const entry = field(3, concat(field(1, "targets"), field(2, targets)));
    const payload = field(4, concat(field(1, "app"), field(2, v2)));
    await expectRejected(d, before, concat(payload, entry), S.ERR_TARGETS_MISSING);
    await expectRejected(d, before, concat(field(9, v2), entry, payload), S.ERR_BUNDLE_FORMAT);
    await expectRejected(d, before, concat(entry, payload, field(5, rootV2)), S.ERR_METADATA_AFTER_PAYLOAD);
    await expectRejected(d, before, concat(entry, payload, entry), S.ERR_METADATA_AFTER_PAYLOAD);
    // Value before key inside an entry: the gate cannot judge the value in time.
    await expectRejected(d, before, concat(entry, field(4, concat(field(2, v2), field(1, "app")))), S.ERR_BUNDLE_FORMAT);
  });
});
