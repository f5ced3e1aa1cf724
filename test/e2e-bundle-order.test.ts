// Bundles in Pigweed's field order. UpdateBundle numbers root_metadata 5, after target_payloads
// 4, so Pigweed's tooling (any plain protobuf encoder) writes the root AFTER the payloads. The
// device needs root and targets metadata first: raw, it refuses such a bundle with its own code
// and nothing changes; `airlock bundle reorder`, `sim update` and `bundle verify` move the
// top-level fields into the device's order without touching their bytes, so signatures hold.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as S from "../assembly/status.js";
import { inDeviceOrder, inspectBundle, toDeviceOrder, InputError } from "../tools/format/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { newDevice, runningImageHash, sha256Hex } from "./helpers/agent-device.js";
import { ok, simBoot, simConfirm, simUpdate, World } from "./helpers/e2e-world.js";
import { cast, image, keyFromLabel, makeBundle, makeRoot } from "./helpers/fixtures.js";

// A plain protobufjs encoder of proto/update_bundle.proto, independent of tools/proto.ts: what
// Pigweed's own tooling produces. Its encoder writes the fields in field-number order.
const PROTO_DIR = fileURLToPath(new URL("../proto/", import.meta.url));
const protoRoot = new protobuf.Root();
protoRoot.resolvePath = (_origin, target) => (target.startsWith("/") ? target : `${PROTO_DIR}${target}`);
protoRoot.loadSync("update_bundle.proto");
const UpdateBundle = protoRoot.lookupType("pw.software_update.UpdateBundle");

/** The same bundle as a plain protobuf encoder writes it: targets (3), payloads (4), root (5). */
function pigweedOrder(bundle: Uint8Array): Uint8Array {
  return UpdateBundle.encode(UpdateBundle.decode(bundle)).finish();
}

/** Top-level field numbers in the order they lie in the bytes. */
function fieldOrder(bundle: Uint8Array): number[] {
  const reader = protobuf.Reader.create(bundle);
  const fields: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    fields.push(tag >>> 3);
    reader.skipType(tag & 7);
  }
  return fields;
}

/** A top-level field: key (length-delimited) + length + content. */
function topField(number: number, content: Uint8Array): Uint8Array {
  const writer = protobuf.Writer.create();
  writer.uint32((number << 3) | 2).bytes(content);
  return writer.finish();
}

describe("the agent and a Pigweed-ordered bundle (SimDevice, no host rewriting)", () => {
  const { devRoot, devTargets, prodRoot, rootV1 } = cast();
  const v1 = image("factory app", 12_345);
  const v2 = image("app v2", 13_000);
  // A root rotation that keeps the targets key: the metadata check at the first payload passes
  // under the trusted root, so what the device meets next is the root after the payloads.
  const rootV2 = makeRoot({ rootKeys: [prodRoot], targetsKeys: [devTargets], version: 2, signers: [devRoot, prodRoot] });

  it("refuses root metadata after the payloads with ERR_METADATA_AFTER_PAYLOAD, changing nothing; reordered, it installs", async () => {
    const d = newDevice();
    const before = await d.device.provision(rootV1, { app: v1 });
    const ours = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [devTargets], root: rootV2 });
    const pigweed = pigweedOrder(ours);
    expect(fieldOrder(ours)).toEqual([5, 3, 4]);
    expect(fieldOrder(pigweed)).toEqual([3, 4, 5]);

    const outcome = d.device.update(pigweed);
    expect(outcome).toMatchObject({ ok: false, errorName: "ERR_METADATA_AFTER_PAYLOAD" });
    expect(d.device.status().lastError).toBe(S.ERR_METADATA_AFTER_PAYLOAD);
    const after = await d.device.powerOn();
    expect(after).toEqual(before);
    expect(runningImageHash(d, after)).toBe(sha256Hex(v1));

    const reordered = toDeviceOrder(pigweed);
    expect(reordered.reordered).toBe(true);
    expect(Buffer.from(reordered.bytes).equals(Buffer.from(ours))).toBe(true);
    expect(d.device.update(reordered.bytes).ok).toBe(true);
    const updated = await d.device.powerOn();
    expect({ rootVersion: updated.rootVersion, slot: updated.slot, trial: updated.trial }).toEqual({ rootVersion: 2, slot: "b", trial: true });
    expect(runningImageHash(d, updated)).toBe(sha256Hex(v2));
  });

  it("refuses a second targets metadata after a payload with the same code", async () => {
    const d = newDevice();
    const before = await d.device.provision(rootV1, { app: v1 });
    const honest = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [devTargets] });
    const [targets, payload] = [3, 4].map((n) => topField(n, fieldContent(honest, n)));
    const outcome = d.device.update(Buffer.concat([targets!, payload!, targets!]));
    expect(outcome).toMatchObject({ ok: false, errorName: "ERR_METADATA_AFTER_PAYLOAD" });
    expect(await d.device.powerOn()).toEqual(before);
  });

  it("a rotation to new targets keys in Pigweed order fails at the first payload (the new root is not there yet); reordered, it installs", async () => {
    // Documented limit: the device checks targets signatures when the first payload arrives,
    // against the only root it has then. The host tools reorder, so they never send this.
    const { prodTargets, rootV2: prodRootV2 } = cast();
    const d = newDevice();
    const before = await d.device.provision(rootV1, { app: v1 });
    const ours = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [prodTargets], root: prodRootV2 });
    expect(d.device.update(pigweedOrder(ours))).toMatchObject({ ok: false, errorName: "ERR_TARGETS_NOT_SIGNED" });
    expect(await d.device.powerOn()).toEqual(before);
    expect(d.device.update(toDeviceOrder(pigweedOrder(ours)).bytes).ok).toBe(true);
    expect((await d.device.powerOn()).rootVersion).toBe(2);
  });

  it("toDeviceOrder returns a bundle already in device order unchanged, and refuses fields a device does not accept", () => {
    const ours = makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [keyFromLabel("any")] });
    expect(toDeviceOrder(ours)).toEqual({ bytes: ours, reordered: false });
    expect(inDeviceOrder(ours)).toBe(true);
    expect(inDeviceOrder(pigweedOrder(makeBundle({ targetsVersion: 1, payloads: { app: v2 }, signers: [], root: rootV2 })))).toBe(false);
    const timestamp = Buffer.concat([topField(1, Uint8Array.of(0x0a, 0x00)), ours]);
    expect(() => toDeviceOrder(timestamp)).toThrow(InputError);
    expect(() => toDeviceOrder(timestamp)).toThrow(/top-level field 1 \(timestamp_metadata\)/);
    expect(() => toDeviceOrder(Buffer.concat([ours, topField(9, Uint8Array.of(1))]))).toThrow(/top-level field 9,/);
    expect(() => toDeviceOrder(ours.subarray(0, ours.length - 10))).toThrow(/not a valid UpdateBundle protobuf/);
  });
});

/** The content of the first top-level field `number` of a bundle. */
function fieldContent(bundle: Uint8Array, number: number): Uint8Array {
  const reader = protobuf.Reader.create(bundle);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === number) return reader.bytes();
    reader.skipType(tag & 7);
  }
  throw new Error(`no field ${number}`);
}

describe("airlock with a Pigweed-ordered bundle", () => {
  const dirs = scratchDirs("e2e-order");
  afterAll(() => dirs.cleanup());
  let w: World;
  let ours = ""; // bundle create + sign: root, targets, payloads
  let pigweed = ""; // the same content in field-number order
  const NOTE = /^note: .*pigweed\.bundle is not in the device's field order .*bundle reorder.*\n$/;

  beforeAll(async () => {
    w = await new World(dirs.make()).build();
    // A full rotation: the prod root, targets signed by the prod targets key only.
    ours = await w.bundle("ours.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root.bin", signers: ["prod-targets"] });
    pigweed = w.at("pigweed.bundle");
    writeFileSync(pigweed, pigweedOrder(readFileSync(ours)));
    expect(fieldOrder(readFileSync(pigweed))).toEqual([3, 4, 5]);
  });

  it("sim update installs it, reordered, saying so once on stderr and not in the JSON", async () => {
    const device = await w.device("pigweed");
    const { code, json, stderr } = await simUpdate(device, pigweed);
    expect(code).toBe(0);
    expect(stderr).toMatch(NOTE);
    expect(json).toMatchObject({ result: "SUCCESS", error: null, rootVersion: 2, targetsVersion: 1, trial: true, images: { app: w.image("v2.bin") } });
    await simConfirm(device);
    expect(await simBoot(device)).toEqual({ slot: "b", trial: false, rootVersion: 2, targetsVersion: 1, images: { app: w.image("v2.bin") } });
  });

  it("sim update of a bundle already in device order says nothing about order", async () => {
    const device = await w.device("ours");
    const { code, stderr } = await simUpdate(device, ours);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  });

  it("bundle reorder writes exactly what bundle create + sign wrote; on that file it copies it unchanged", async () => {
    const out = w.at("reordered.bundle");
    const run = await ok("bundle", "reorder", pigweed, "-o", out);
    expect(run.stdout).toMatch(/^wrote .*reordered\.bundle: root, targets metadata, then payloads; signatures unchanged\n$/);
    expect(readFileSync(out).equals(readFileSync(ours))).toBe(true);
    const again = await ok("bundle", "reorder", out, "-o", w.at("again.bundle"));
    expect(again.stdout).toMatch(/already in device order, copied unchanged/);
    expect(readFileSync(w.at("again.bundle")).equals(readFileSync(ours))).toBe(true);
  });

  it("bundle inspect reads both orders alike and says when the order is not the device's", async () => {
    const a = inspectBundle(readFileSync(pigweed), { trustedRoot: readFileSync(w.at("dev-root.bin")) });
    const b = inspectBundle(readFileSync(ours), { trustedRoot: readFileSync(w.at("dev-root.bin")) });
    expect({ ...a, deviceOrder: true }).toEqual(b);
    expect([a.deviceOrder, b.deviceOrder]).toEqual([false, true]);
    expect((await ok("bundle", "inspect", pigweed)).stdout).toMatch(/field order: NOT the device's .*airlock bundle reorder/);
    expect((await ok("bundle", "inspect", ours)).stdout).not.toMatch(/field order/);
  });

  it("bundle verify accepts it, noting the reorder on stderr; --json stdout stays one JSON object", async () => {
    const run = await airlock("bundle", "verify", "--trusted-root", w.at("dev-root.bin"), pigweed, "--json");
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(NOTE);
    expect(JSON.parse(run.stdout)).toMatchObject({ verified: true, error: null, rootVersion: 2, targetsVersion: 1, images: { app: w.image("v2.bin") } });
  });

  it("refuses to reorder a bundle with a top-level field the device does not accept (exit 2, no output file)", async () => {
    const bytes = readFileSync(pigweed);
    for (const [name, extra] of [["snapshot", topField(2, Uint8Array.of(0x0a, 0x00))], ["unknown", topField(9, Uint8Array.of(7))]] as const) {
      const input = w.at(`${name}.bundle`);
      writeFileSync(input, Buffer.concat([extra, bytes]));
      const out = w.at(`${name}-reordered.bundle`);
      const run = await airlock("bundle", "reorder", input, "-o", out);
      expect(run.code).toBe(2);
      expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(run.stderr).toMatch(/top-level field (2 \(snapshot_metadata\)|9), which a device does not accept and a reorder will not drop/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("sim update leaves a bundle it cannot reorder to the device, which refuses it as before (ERR_BUNDLE_FORMAT)", async () => {
    const device = await w.device("unknown-field");
    const before = await simBoot(device);
    const input = w.at("unknown-field.bundle");
    writeFileSync(input, Buffer.concat([topField(9, Uint8Array.of(7)), readFileSync(pigweed)]));
    const { code, json, stderr } = await simUpdate(device, input);
    expect({ code, error: json.error }).toEqual({ code: 1, error: "ERR_BUNDLE_FORMAT" });
    expect(stderr).not.toMatch(/note:/);
    expect(await simBoot(device)).toEqual(before);
  });

  it("bundle reorder has --help and needs -o", async () => {
    const help = await airlock("bundle", "reorder", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/device's field order/);
    expect((await airlock("bundle", "reorder", pigweed)).code).toBe(2);
  });
});
