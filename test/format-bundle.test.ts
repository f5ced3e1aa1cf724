// Bundles as the library builds, signs, personalizes, parses and describes them.
import { createHash } from "node:crypto";
import protobuf from "protobufjs";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_HARDWARE_ID, MAX_TARGET_NAME, MAX_TARGETS } from "../assembly/limits.js";
import { parseRoot, encodeSignedRoot, createBundle, encodeBundle, inspectBundle, parseBundle, personalizeBundle, signBundle, InputError, hex, SPEC_VERSION, encode, schema, type TargetsMetadata, createRoot, signRoot } from "../tools/format/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { makeKey } from "./helpers/key-files.js";

const dirs = scratchDirs("bundle");
afterAll(() => dirs.cleanup());
const dir = dirs.make();
const rootKey = makeKey(dir, "root");
const targetsKey = makeKey(dir, "targets");
const otherKey = makeKey(dir, "other");
const signedRoot = signRoot(createRoot({ rootKeys: [rootKey.public], targetsKeys: [targetsKey.public], version: 2 }), rootKey.signing);
const app = Buffer.from("firmware v2 ".repeat(100));
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Top-level field numbers in the order they occur in the bytes. */
function fieldOrder(bytes: Uint8Array): number[] {
  const reader = protobuf.Reader.create(bytes);
  const fields: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    fields.push(tag >>> 3);
    reader.skipType(tag & 7);
  }
  return fields;
}

/** Length of the first top-level field (tag, length prefix and value). */
function fieldLength(bytes: Uint8Array): number {
  const reader = protobuf.Reader.create(bytes);
  const tag = reader.uint32();
  reader.skipType(tag & 7);
  return reader.pos;
}

describe("createBundle", () => {
  it("lists each target's length and SHA-256 under role targets, with the hardware ID in field 65", () => {
    const bytes = createBundle({ targetsVersion: 5, payloads: [{ name: "app", data: app }], hardwareId: "nrf52840-dk" });
    const bundle = parseBundle(bytes);
    expect(bundle.targets.commonMetadata).toEqual({ specVersion: SPEC_VERSION, version: 5, role: "targets" });
    expect(bundle.targets.hardwareId).toBe("nrf52840-dk");
    expect(bundle.targets.targetFiles).toHaveLength(1);
    const file = bundle.targets.targetFiles![0]!;
    expect(file.fileName).toBe("app");
    expect(file.length).toBe(app.length);
    expect(file.hashes).toHaveLength(1);
    expect(file.hashes![0]!.function).toBe(1); // HashFunction.SHA256
    expect(hex(file.hashes![0]!.hash!)).toBe(sha256(app));
    expect(hex(bundle.payloads.app!)).toBe(hex(app));
    expect(bundle.targetsSigned.signatures).toEqual([]);
    // Field 65, wire type 2: tag varint 0x8a 0x04, then the length and the ID.
    expect(Buffer.from(bundle.targetsSerialized).includes(Buffer.from([0x8a, 0x04, 11, ...Buffer.from("nrf52840-dk")]))).toBe(true);
  });

  it("places root and targets metadata before the payloads in the byte stream", () => {
    const withRoot = createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }, { name: "net", data: Buffer.from("radio") }], root: signedRoot });
    expect(fieldOrder(withRoot)).toEqual([5, 3, 4, 4]);
    const withoutRoot = createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }] });
    expect(fieldOrder(withoutRoot)).toEqual([3, 4]);
    // Signing re-encodes in the same order.
    expect(fieldOrder(signBundle(withRoot, targetsKey.signing))).toEqual([5, 3, 4, 4]);
  });

  it("writes each payload exactly as protobuf encodes the target_payloads map (the streaming prefix is not hand-rolled wrong)", () => {
    const net = Buffer.alloc(300, 7); // a length whose varint takes two bytes
    const bundle = createBundle({ targetsVersion: 2, root: signedRoot, payloads: [{ name: "app", data: app }, { name: "net", data: net }] });
    const parsed = parseBundle(bundle);
    const reference = encodeBundle(parsed.root?.signed, parsed.targetsSigned, { app, net });
    expect(Buffer.from(bundle).equals(Buffer.from(reference))).toBe(true);
  });

  it("refuses an empty payload: a device refuses empty targets", () => {
    expect(() => createBundle({ targetsVersion: 2, payloads: [{ name: "app", data: new Uint8Array(0) }] })).toThrow(/target "app" is empty \(0 bytes\)/);
  });

  it("omits the hardware ID when none is given (any hardware)", () => {
    const bundle = parseBundle(createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }] }));
    expect(bundle.targets.hardwareId ?? "").toBe("");
    expect(inspectBundle(createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }] })).targets.hardwareId).toBeNull();
  });

  it("bounds target names by MAX_TARGET_NAME, image targets by MAX_TARGETS, hardware IDs by MAX_HARDWARE_ID", () => {
    const payload = (name: string) => ({ name, data: app });
    const longest = "a".repeat(MAX_TARGET_NAME);
    expect(parseBundle(createBundle({ targetsVersion: 1, payloads: [payload(longest)] })).targets.targetFiles![0]!.fileName).toBe(longest);
    expect(() => createBundle({ targetsVersion: 1, payloads: [payload(`${longest}b`)] })).toThrow(/at most 32 \(MAX_TARGET_NAME\)/);
    const images = Array.from({ length: MAX_TARGETS }, (_, i) => payload(`image${i}`));
    // user_manifest is not an image (and is bounded by MAX_USER_MANIFEST_BYTES, not a slot).
    expect(() => createBundle({ targetsVersion: 1, payloads: [...images, { name: "user_manifest", data: app.subarray(0, 100) }] })).not.toThrow();
    expect(() => createBundle({ targetsVersion: 1, payloads: [...images, payload("extra")] })).toThrow(/MAX_TARGETS/);
    expect(() => createBundle({ targetsVersion: 1, payloads: [payload("app")], hardwareId: "h".repeat(MAX_HARDWARE_ID) })).not.toThrow();
    expect(() => createBundle({ targetsVersion: 1, payloads: [payload("app")], hardwareId: "h".repeat(MAX_HARDWARE_ID + 1) })).toThrow(/MAX_HARDWARE_ID/);
    expect(() => createBundle({ targetsVersion: 1, payloads: [payload("app")], hardwareId: "has space" })).toThrow(/printable ASCII/);
  });

  it("refuses duplicate or malformed target names, no targets, version 0, and an unsigned root", () => {
    const p = { name: "app", data: app };
    expect(() => createBundle({ targetsVersion: 1, payloads: [p, p] })).toThrow(/given twice/);
    expect(() => createBundle({ targetsVersion: 1, payloads: [{ name: "", data: app }] })).toThrow(InputError);
    expect(() => createBundle({ targetsVersion: 1, payloads: [{ name: "a b", data: app }] })).toThrow(/not allowed/);
    expect(() => createBundle({ targetsVersion: 1, payloads: [] })).toThrow(/at least one target/);
    expect(() => createBundle({ targetsVersion: 0, payloads: [p] })).toThrow(/versions start at 1/);
    const unsigned = createRoot({ rootKeys: [rootKey.public], targetsKeys: [targetsKey.public], version: 1 });
    expect(() => createBundle({ targetsVersion: 1, payloads: [p], root: unsigned })).toThrow(/carries no signature/);
    expect(() => createBundle({ targetsVersion: 1, payloads: [p], root: Buffer.from("junk") })).toThrow(InputError);
  });

  it("marks user_manifest as Pigweed's reserved user manifest target", () => {
    const report = inspectBundle(createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }, { name: "user_manifest", data: Buffer.from("{}") }] }));
    expect(report.targets.files.map((f) => [f.name, f.userManifest])).toEqual([["app", false], ["user_manifest", true]]);
  });
});

describe("signBundle and inspectBundle", () => {
  it("checks targets signatures against the bundle's root and counts the threshold", () => {
    const signed = signBundle(createBundle({ targetsVersion: 3, payloads: [{ name: "app", data: app }], root: signedRoot }), targetsKey.signing);
    const report = inspectBundle(signed);
    expect(report.root?.version).toBe(2);
    expect(report.targets.keySource).toBe("bundle root");
    expect(report.targets.signatures).toEqual([{ keyId: hex(targetsKey.public.keyId), status: "valid" }]);
    expect(report.targets.thresholdMet).toBe(true);
    expect(report.targets.files[0]).toMatchObject({ name: "app", length: app.length, sha256: sha256(app), payload: "present", payloadMatches: true });
  });

  it("checks against a given root when the bundle carries none, and says when it cannot check", () => {
    const signed = signBundle(createBundle({ targetsVersion: 3, payloads: [{ name: "app", data: app }] }), targetsKey.signing);
    expect(inspectBundle(signed, { trustedRoot: signedRoot }).targets).toMatchObject({ keySource: "given root", thresholdMet: true, validSignatures: 1 });
    const alone = inspectBundle(signed).targets;
    expect(alone).toMatchObject({ keySource: null, threshold: null, thresholdMet: null });
    expect(alone.signatures[0]?.status).toBe("no-root");
  });

  it("names a listed key whose type is not Ed25519 as unsupported, not as unlisted", () => {
    const root = parseRoot(signedRoot);
    const metadata = structuredClone(root.metadata);
    const targetsId = hex(targetsKey.public.keyId);
    for (const mapping of metadata.keys ?? []) {
      if (hex(mapping.keyId!) === targetsId) mapping.key = { ...mapping.key, keyType: 3, scheme: 3 }; // ECDSA_SHA2_NISTP256
    }
    const ecdsaRoot = encodeSignedRoot(encode(schema().RootMetadata, metadata), []);
    const signed = signBundle(createBundle({ targetsVersion: 3, payloads: [{ name: "app", data: app }] }), targetsKey.signing);
    expect(inspectBundle(signed, { trustedRoot: ecdsaRoot }).targets.signatures).toEqual([{ keyId: targetsId, status: "unsupported-key" }]);
    expect(inspectBundle(signed, { trustedRoot: signedRoot }).targets.signatures[0]?.status).toBe("valid");
  });

  it("does not count a valid signature by a key outside the targets role", () => {
    const signed = signBundle(createBundle({ targetsVersion: 3, payloads: [{ name: "app", data: app }], root: signedRoot }), rootKey.signing);
    const report = inspectBundle(signed).targets;
    expect(report.signatures[0]?.status).toBe("valid");
    expect(report.validSignatures).toBe(0);
    expect(report.thresholdMet).toBe(false);
  });

  it("refuses a second signature by the same key", () => {
    const once = signBundle(createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }] }), targetsKey.signing);
    expect(() => signBundle(once, targetsKey.signing)).toThrow(/already signed by key/);
    expect(parseBundle(signBundle(once, otherKey.signing)).targetsSigned.signatures).toHaveLength(2);
  });

  it("flags the signature invalid when targets metadata changes after signing", () => {
    const signed = signBundle(createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }], root: signedRoot }), targetsKey.signing);
    const bundle = parseBundle(signed);
    const changed: TargetsMetadata = { ...bundle.targets, commonMetadata: { ...bundle.targets.commonMetadata, version: 9 } };
    const tampered = encodeBundle(bundle.root!.signed, { serializedTargetsMetadata: encode(schema().TargetsMetadata, changed), signatures: bundle.targetsSigned.signatures }, bundle.payloads);
    const report = inspectBundle(tampered).targets;
    expect(report.version).toBe(9);
    expect(report.signatures[0]?.status).toBe("invalid");
    expect(report.thresholdMet).toBe(false);
  });

  it("reports a payload that no longer matches its signed length and hash, and payloads not listed", () => {
    const bundle = parseBundle(signBundle(createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }] }), targetsKey.signing));
    const swapped = encodeBundle(undefined, bundle.targetsSigned, { app: Buffer.from("evil"), stowaway: Buffer.from("x") });
    const report = inspectBundle(swapped, { trustedRoot: signedRoot });
    expect(report.targets.files[0]).toMatchObject({ payload: "present", payloadMatches: false });
    expect(report.targets.signatures[0]?.status).toBe("valid"); // payloads are not what is signed
    expect(report.unlistedPayloads).toEqual(["stowaway"]);
  });
});

describe("personalizeBundle", () => {
  it("removes payloads but keeps them listed and the signatures valid", () => {
    const signed = signBundle(createBundle({ targetsVersion: 4, payloads: [{ name: "app", data: app }, { name: "net", data: Buffer.from("radio") }], root: signedRoot }), targetsKey.signing);
    const personalized = personalizeBundle(signed, ["net"]);
    const report = inspectBundle(personalized);
    expect(report.targets.files.map((f) => [f.name, f.payload])).toEqual([["app", "present"], ["net", "personalized-out"]]);
    expect(report.targets.thresholdMet).toBe(true);
    expect(fieldOrder(personalized)).toEqual([5, 3, 4]);
    expect(() => personalizeBundle(personalized, ["net"])).toThrow(/carries no payload named "net"/);
  });
});

describe("parseBundle", () => {
  it("refuses a bundle repeating its root, a targets metadata name or a payload name, as the device does", () => {
    const bytes = createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }], root: signedRoot });
    const parsed = parseBundle(bytes);
    const payloadAgain = encodeBundle(undefined, parsed.targetsSigned, { app: Buffer.from("other") }).subarray(encodeBundle(undefined, parsed.targetsSigned, {}).length);
    expect(() => parseBundle(Buffer.concat([bytes, payloadAgain]))).toThrow(/carries payload "app" twice/);
    expect(() => parseBundle(Buffer.concat([bytes, encodeBundle(undefined, parsed.targetsSigned, {})]))).toThrow(/carries targets metadata "targets" twice/);
    const rootAgain = encodeBundle(parsed.root!.signed, parsed.targetsSigned, {}).subarray(0, fieldLength(bytes));
    expect(() => parseBundle(Buffer.concat([bytes, rootAgain]))).toThrow(/carries root metadata twice/);
  });

  it("refuses non-protobuf, truncated, and bundles without targets metadata", () => {
    const bytes = createBundle({ targetsVersion: 1, payloads: [{ name: "app", data: app }] });
    expect(() => parseBundle(Buffer.from("hello world, not a bundle"))).toThrow(/not a valid UpdateBundle/);
    expect(() => parseBundle(Buffer.from([0x30, 0x01]))).toThrow(/holds no "targets" metadata/); // only an unknown field 6
    expect(() => parseBundle(bytes.subarray(0, bytes.length - 100))).toThrow(/not a valid UpdateBundle/);
    expect(() => parseBundle(new Uint8Array())).toThrow(InputError);
    expect(() => parseBundle(signedRoot)).toThrow(InputError);
  });
});
