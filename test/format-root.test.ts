// Root metadata as the library builds, signs, parses and describes it.
import { afterAll, describe, expect, it } from "vitest";
import { MAX_ROOT_KEYS, MAX_SIGNATURES } from "../assembly/limits.js";
import { InputError, hex, SPEC_VERSION, decode, encode, schema, type RootMetadata, type SignedRootMetadata, createRoot, encodeSignedRoot, inspectRoot, parseRoot, signRoot } from "../tools/format/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { makeKey } from "./helpers/key-files.js";

const dirs = scratchDirs("root");
afterAll(() => dirs.cleanup());
const dir = dirs.make();
const rootA = makeKey(dir, "rootA");
const rootB = makeKey(dir, "rootB");
const targets = makeKey(dir, "targets");

describe("createRoot", () => {
  it("writes role, spec version, version, keys once each, and both role requirements", () => {
    const bytes = createRoot({ rootKeys: [rootA.public, rootB.public], targetsKeys: [targets.public, rootA.public], rootThreshold: 2, version: 7 });
    const root = parseRoot(bytes);
    expect(root.signed.signatures).toEqual([]);
    expect(root.metadata.commonMetadata).toEqual({ specVersion: SPEC_VERSION, version: 7, role: "root" });
    const listed = (root.metadata.keys ?? []).map((k) => hex(k.keyId!));
    expect(listed.sort()).toEqual([rootA, rootB, targets].map((k) => hex(k.public.keyId)).sort());
    for (const mapping of root.metadata.keys ?? []) {
      expect(mapping.key?.keyType).toBe(2); // KeyType.ED25519
      expect(mapping.key?.scheme).toBe(2); // KeyScheme.ED25519_SCHEME
      expect(mapping.key?.keyval?.length).toBe(32);
    }
    expect(root.metadata.rootSignatureRequirement?.threshold).toBe(2);
    expect(root.metadata.rootSignatureRequirement?.keyIds?.map(hex)).toEqual([hex(rootA.public.keyId), hex(rootB.public.keyId)]);
    expect(root.metadata.targetsSignatureRequirement?.threshold).toBe(1);
    expect(root.metadata.targetsSignatureRequirement?.keyIds?.map(hex)).toEqual([hex(targets.public.keyId), hex(rootA.public.keyId)]);
  });

  it("refuses version 0, thresholds of 0 or beyond the keys, duplicate keys, and no keys", () => {
    const base = { rootKeys: [rootA.public], targetsKeys: [targets.public], version: 1 };
    expect(() => createRoot({ ...base, version: 0 })).toThrow(/versions start at 1/);
    expect(() => createRoot({ ...base, version: 2 ** 32 })).toThrow(InputError);
    expect(() => createRoot({ ...base, rootThreshold: 0 })).toThrow(/root threshold must be at least 1/);
    expect(() => createRoot({ ...base, targetsThreshold: 0 })).toThrow(/targets threshold must be at least 1/);
    expect(() => createRoot({ ...base, rootThreshold: 2 })).toThrow(/exceeds the 1 root key/);
    expect(() => createRoot({ ...base, rootKeys: [rootA.public, rootA.public] })).toThrow(/given twice/);
    expect(() => createRoot({ ...base, targetsKeys: [] })).toThrow(/at least one targets key/);
  });
});

describe("signRoot", () => {
  it("appends signatures over the exact signed bytes, leaving them unchanged", () => {
    const unsigned = createRoot({ rootKeys: [rootA.public, rootB.public], targetsKeys: [targets.public], rootThreshold: 2, version: 1 });
    const once = signRoot(unsigned, rootA.signing);
    const twice = signRoot(once, rootB.signing);
    expect(hex(parseRoot(twice).serialized)).toBe(hex(parseRoot(unsigned).serialized));
    const report = inspectRoot(twice);
    expect(report.signatures).toEqual([
      { keyId: hex(rootA.public.keyId), status: "valid" },
      { keyId: hex(rootB.public.keyId), status: "valid" },
    ]);
    expect(report.validRootSignatures).toBe(2);
    expect(report.rootThresholdMet).toBe(true);
    expect(inspectRoot(once).rootThresholdMet).toBe(false);
  });

  it("refuses a second signature by the same key", () => {
    const once = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 1 }), rootA.signing);
    expect(() => signRoot(once, rootA.signing)).toThrow(/already signed by key/);
  });

  it("reports a signature by a key the root does not list as not checkable here", () => {
    const signed = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 2 }), rootB.signing);
    expect(inspectRoot(signed).signatures).toEqual([{ keyId: hex(rootB.public.keyId), status: "unknown-key" }]);
    expect(inspectRoot(signed).rootThresholdMet).toBe(false);
  });

  it("a target key's signature does not count toward the root threshold", () => {
    const signed = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 2 }), targets.signing);
    const report = inspectRoot(signed);
    expect(report.signatures[0]?.status).toBe("valid");
    expect(report.validRootSignatures).toBe(0);
    expect(report.rootThresholdMet).toBe(false);
  });

  it("flags every signature invalid when the signed content changes after signing", () => {
    const signed = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 3 }), rootA.signing);
    const parsed = parseRoot(signed);
    const changed: RootMetadata = { ...parsed.metadata, commonMetadata: { ...parsed.metadata.commonMetadata, version: 4 } };
    const tampered = encodeSignedRoot(encode(schema().RootMetadata, changed), parsed.signed.signatures);
    const report = inspectRoot(tampered);
    expect(report.version).toBe(4);
    expect(report.signatures).toEqual([{ keyId: hex(rootA.public.keyId), status: "invalid" }]);
    expect(report.rootThresholdMet).toBe(false);
  });
});

describe("rotation check against a trusted root", () => {
  const trusted = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 1 }), rootA.signing);
  const next = createRoot({ rootKeys: [rootB.public], targetsKeys: [targets.public], version: 2 });

  it("accepts a newer root signed by the trusted root's keys and its own", () => {
    const both = signRoot(signRoot(next, rootA.signing), rootB.signing);
    const report = inspectRoot(both, "root", trusted);
    expect(report.signatures.map((s) => s.status)).toEqual(["valid", "valid"]); // the old key is known through the trusted root
    expect(report.rotation).toEqual({ trustedVersion: 1, validTrustedSignatures: 1, trustedThreshold: 1, trustedThresholdMet: true, versionAccepted: true, accepted: true });
  });

  it("refuses a root signed only by the old keys, only by the new keys, or older than the trusted one", () => {
    expect(inspectRoot(signRoot(next, rootA.signing), "root", trusted).rotation).toMatchObject({ trustedThresholdMet: true, accepted: false });
    expect(inspectRoot(signRoot(next, rootB.signing), "root", trusted).rotation).toMatchObject({ trustedThresholdMet: false, accepted: false });
    const newer = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 5 }), rootA.signing);
    expect(inspectRoot(trusted, "root", newer).rotation).toMatchObject({ versionAccepted: false, accepted: false });
    // The same root again is accepted (byte-identical); the same version with other bytes is not.
    expect(inspectRoot(trusted, "root", trusted).rotation?.accepted).toBe(true);
    const sameVersion = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [rootB.public], version: 1 }), rootA.signing);
    expect(inspectRoot(sameVersion, "root", trusted).rotation).toMatchObject({ versionAccepted: false, accepted: false });
  });
});

describe("device bounds", () => {
  const many = Array.from({ length: MAX_ROOT_KEYS + 1 }, (_, i) => makeKey(dir, `many${i}`));

  it("refuses a root listing more than MAX_ROOT_KEYS distinct keys", () => {
    const keys = many.map((k) => k.public);
    expect(() => createRoot({ rootKeys: keys.slice(0, MAX_ROOT_KEYS), targetsKeys: keys.slice(0, 1), version: 1 })).not.toThrow();
    expect(() => createRoot({ rootKeys: keys.slice(0, MAX_ROOT_KEYS), targetsKeys: keys.slice(MAX_ROOT_KEYS), version: 1 })).toThrow(/MAX_ROOT_KEYS/);
  });

  it("refuses a signature beyond MAX_SIGNATURES", () => {
    let root = createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 1 });
    for (const key of many.slice(0, MAX_SIGNATURES)) root = signRoot(root, key.signing);
    expect(parseRoot(root).signed.signatures).toHaveLength(MAX_SIGNATURES);
    expect(() => signRoot(root, many[MAX_SIGNATURES]!.signing)).toThrow(/MAX_SIGNATURES/);
  });
});

describe("parseRoot", () => {
  it("refuses non-protobuf bytes, truncated files, empty metadata and metadata of another role", () => {
    const signed = signRoot(createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 1 }), rootA.signing);
    expect(() => parseRoot(Buffer.from("definitely not protobuf\n"))).toThrow(InputError);
    expect(() => parseRoot(signed.subarray(0, signed.length - 10))).toThrow(/not a valid SignedRootMetadata/);
    expect(() => parseRoot(new Uint8Array())).toThrow(/holds no serialized root metadata/);
    const targetsRole = encode(schema().RootMetadata, { commonMetadata: { version: 1, role: "targets" } });
    expect(() => parseRoot(encodeSignedRoot(targetsRole, []))).toThrow(/role "targets" where "root" belongs/);
  });

  it("keeps unknown signed bytes exactly as they were (nothing is re-serialized)", () => {
    const signed = decode<SignedRootMetadata>(schema().SignedRootMetadata, createRoot({ rootKeys: [rootA.public], targetsKeys: [targets.public], version: 1 }), "root");
    // A field the schema reserves (200) appended to the signed bytes survives signing untouched.
    const extended = Buffer.concat([signed.serializedRootMetadata!, Buffer.from([0xc0, 0x0c, 0x01])]);
    const resigned = signRoot(encodeSignedRoot(extended, []), rootA.signing);
    expect(hex(parseRoot(resigned).serialized)).toBe(hex(extended));
    expect(inspectRoot(resigned).signatures[0]?.status).toBe("valid");
  });
});
