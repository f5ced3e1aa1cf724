// TUF's threat list (theupdateframework.io specification, "Security" / "Goals to protect against
// specific attacks") mapped onto airlock bundles. Each attack names the device it meets (which
// root it trusts, whether it already runs a later targets version), how the malicious bundle is
// built, and the named error the agent must answer with. Bundles are built with the real host
// tooling where the attack is expressible with it, and with protobufjs's wire Writer where the
// attack is a malformed encoding the tooling refuses to produce.
import protobuf from "protobufjs";
import { encode, schema, type TargetsMetadata, type SignedRootMetadata, type Signature, encodeBundle, TARGETS_METADATA_NAME, signBytes, type SigningKey, SPEC_VERSION, ROLE_ROOT, ROLE_TARGETS } from "../../tools/format/index.js";
import * as status from "../../assembly/status.js";
import { cast, image, keyFromLabel, makeBundle, makeRoot } from "./fixtures.js";
import { createHash } from "node:crypto";

export type Cast = ReturnType<typeof cast>;

/** What the device trusts and runs before the attack arrives. */
export interface DeviceSetup {
  /** Root it was provisioned with. */
  root: Uint8Array;
  /** Valid bundles applied and confirmed before the attack (to raise versions). */
  history: Uint8Array[];
  /** Keys that sign honest targets under `root` (for the update that follows every attack). */
  signers: SigningKey[];
}

export interface Attack {
  /** TUF's name for the threat. */
  threat: string;
  name: string;
  setup: (c: Cast) => DeviceSetup;
  bundle: (c: Cast) => Uint8Array;
  /** The status.ts names the agent may answer with (more than one where checks may reorder). */
  codes: (keyof typeof status)[];
  /** Bytes that must never be written anywhere in flash (payloads the metadata does not list). */
  neverWritten?: (c: Cast) => Uint8Array;
  /** The bundle's root verified on its own, so the device may keep it (DESIGN.md). */
  rootMayRotateTo?: (c: Cast) => Uint8Array;
}

export const OLD_IMAGE_BYTES = 6000;
export const NEW_IMAGE_BYTES = 9000;
export const oldImage = () => image("firmware v1", OLD_IMAGE_BYTES);
export const newImage = () => image("firmware v2", NEW_IMAGE_BYTES);
const evilImage = () => image("attacker firmware", NEW_IMAGE_BYTES);

const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

export function targetsMetadata(
  payloads: Record<string, Uint8Array>,
  version: number | undefined,
  extra: Partial<TargetsMetadata> = {},
): TargetsMetadata {
  return {
    commonMetadata: { specVersion: SPEC_VERSION, ...(version === undefined ? {} : { version }), role: ROLE_TARGETS },
    targetFiles: Object.entries(payloads).map(([fileName, data]) => ({
      fileName,
      length: data.length,
      hashes: [{ function: schema().enums.hashSha256, hash: sha256(data) }],
    })),
    ...extra,
  };
}

export function signatures(serialized: Uint8Array, signers: SigningKey[]): Signature[] {
  return signers.map((k) => ({ keyId: k.keyId, sig: signBytes(k, serialized) }));
}

/** A bundle around exact targets bytes (however they were made) and chosen signatures. */
export function bundleAround(
  serializedTargets: Uint8Array,
  sigs: Signature[],
  payloads: Record<string, Uint8Array>,
  root?: Uint8Array,
): Uint8Array {
  const signedRoot = root ? (schema().SignedRootMetadata.decode(root) as unknown as SignedRootMetadata) : undefined;
  return encodeBundle(signedRoot, { serializedTargetsMetadata: serializedTargets, signatures: sigs }, payloads);
}

/** Wire-level pieces for encodings the tooling refuses to make (protobuf field = tag + body). */
const wire = {
  lengthDelimited(field: number, body: Uint8Array): Uint8Array {
    return protobuf.Writer.create().uint32((field << 3) | 2).bytes(body).finish();
  },
  /** A length-delimited field whose length prefix claims `claimed` bytes but carries `body`. */
  lying(field: number, claimed: number, body: Uint8Array): Uint8Array {
    const head = protobuf.Writer.create().uint32((field << 3) | 2).uint32(claimed).finish();
    return Buffer.concat([head, body]);
  },
  mapEntry(key: string, value: Uint8Array): Uint8Array {
    return Buffer.concat([
      wire.lengthDelimited(1, Buffer.from(key, "utf8")),
      wire.lengthDelimited(2, value),
    ]);
  },
};

const BUNDLE_TARGETS_METADATA = 3;
const BUNDLE_TARGET_PAYLOADS = 4;
const TARGETS_COMMON_METADATA = 1;
const TARGET_FILE_LENGTH = 2;
const TARGETS_TARGET_FILES = 2;

function validTargets(c: Cast, version = 2) {
  const payloads = { app: newImage() };
  const serialized = encode(schema().TargetsMetadata, targetsMetadata(payloads, version));
  return { payloads, serialized, sigs: signatures(serialized, [c.devTargets]) };
}

const devDevice = (c: Cast): DeviceSetup => ({ root: c.rootV1, history: [], signers: [c.devTargets] });

/** A device that already runs targets version 3 under the dev root. */
const devDeviceAtV3 = (c: Cast): DeviceSetup => ({
  root: c.rootV1,
  history: [makeBundle({ targetsVersion: 3, payloads: { app: image("firmware v3", 7000) }, signers: [c.devTargets] })],
  signers: [c.devTargets],
});

/** A device that trusts the production root (v2). */
const prodDevice = (c: Cast): DeviceSetup => ({ root: c.rootV2, history: [], signers: [c.prodTargets] });

/** Root v1 whose targets role needs two of two keys. */
function twoOfTwoRoot(c: Cast) {
  const second = keyFromLabel("dev targets 2");
  return {
    second,
    root: makeRoot({ rootKeys: [c.devRoot], targetsKeys: [c.devTargets, second], targetsThreshold: 2, version: 1 }),
  };
}

/** Root v1 in which one key holds both roles (common for development keys). */
function sharedKeyRoot(c: Cast) {
  return makeRoot({ rootKeys: [c.devRoot], targetsKeys: [c.devRoot], version: 1 });
}

/** Hand-made root metadata (for shapes createRoot refuses to make), signed by `signers`. */
function rawRoot(
  c: Cast,
  fields: { keys: { keyId: Uint8Array; raw: Uint8Array }[]; rootIds: Uint8Array[]; targetsIds: Uint8Array[]; rootThreshold: number; targetsThreshold: number; version: number },
  signers: SigningKey[],
): Uint8Array {
  const { keyTypeEd25519, keySchemeEd25519 } = schema().enums;
  const serialized = encode(schema().RootMetadata, {
    commonMetadata: { specVersion: SPEC_VERSION, version: fields.version, role: ROLE_ROOT },
    keys: fields.keys.map((k) => ({ keyId: k.keyId, key: { keyType: keyTypeEd25519, scheme: keySchemeEd25519, keyval: k.raw } })),
    rootSignatureRequirement: { keyIds: fields.rootIds, threshold: fields.rootThreshold },
    targetsSignatureRequirement: { keyIds: fields.targetsIds, threshold: fields.targetsThreshold },
  });
  void c;
  return encode(schema().SignedRootMetadata, { serializedRootMetadata: serialized, signatures: signatures(serialized, signers) });
}

export const ATTACKS: Attack[] = [
  // ---- arbitrary software installation ----
  {
    threat: "arbitrary software",
    name: "unsigned targets metadata",
    setup: devDevice,
    bundle: (c) => {
      const t = validTargets(c);
      return bundleAround(t.serialized, [], t.payloads);
    },
    codes: ["ERR_TARGETS_NOT_SIGNED"],
  },
  {
    threat: "arbitrary software",
    name: "targets signed by a key the root does not trust",
    setup: devDevice,
    bundle: () => makeBundle({ targetsVersion: 2, payloads: { app: evilImage() }, signers: [keyFromLabel("attacker")] }),
    codes: ["ERR_TARGETS_NOT_SIGNED"],
  },
  {
    threat: "arbitrary software",
    name: "a trusted signature over other bytes",
    setup: devDevice,
    bundle: (c) => {
      const honest = validTargets(c);
      const evilPayloads = { app: evilImage() };
      const evil = encode(schema().TargetsMetadata, targetsMetadata(evilPayloads, 2));
      return bundleAround(evil, honest.sigs, evilPayloads);
    },
    codes: ["ERR_TARGETS_NOT_SIGNED", "ERR_SIGNATURE_INVALID"],
  },
  {
    threat: "arbitrary software",
    name: "signature names the trusted key ID but was made by another key",
    setup: devDevice,
    bundle: (c) => {
      const evilPayloads = { app: evilImage() };
      const evil = encode(schema().TargetsMetadata, targetsMetadata(evilPayloads, 2));
      const forged = { keyId: c.devTargets.keyId, sig: signBytes(keyFromLabel("attacker"), evil) };
      return bundleAround(evil, [forged], evilPayloads);
    },
    codes: ["ERR_TARGETS_NOT_SIGNED", "ERR_SIGNATURE_INVALID"],
  },
  {
    threat: "arbitrary software",
    name: "rotated root lists a key under a key ID that is not its hash",
    setup: devDevice,
    bundle: (c) => {
      const attacker = keyFromLabel("attacker");
      // The root keys are honest (it is signed by old and new root keys, as a rotation must
      // be), but the targets key ID names the real prod targets key while the key value is
      // the attacker's: a device that trusted listed IDs would accept attacker-signed targets.
      const root = rawRoot(c, {
        keys: [
          { keyId: c.prodRoot.keyId, raw: c.prodRoot.raw },
          { keyId: c.prodTargets.keyId, raw: attacker.raw },
        ],
        rootIds: [c.prodRoot.keyId],
        targetsIds: [c.prodTargets.keyId],
        rootThreshold: 1,
        targetsThreshold: 1,
        version: 2,
      }, [c.devRoot, c.prodRoot]);
      const payloads = { app: evilImage() };
      const serialized = encode(schema().TargetsMetadata, targetsMetadata(payloads, 2));
      const sig = { keyId: c.prodTargets.keyId, sig: signBytes(attacker, serialized) };
      return bundleAround(serialized, [sig], payloads, root);
    },
    codes: ["ERR_KEY_ID_MISMATCH"],
  },
  {
    threat: "arbitrary software",
    name: "a signature requirement with threshold 0",
    setup: devDevice,
    bundle: (c) => {
      const root = rawRoot(c, {
        keys: [{ keyId: c.prodRoot.keyId, raw: c.prodRoot.raw }, { keyId: c.prodTargets.keyId, raw: c.prodTargets.raw }],
        rootIds: [c.prodRoot.keyId],
        targetsIds: [c.prodTargets.keyId],
        rootThreshold: 1,
        targetsThreshold: 0,
        version: 2,
      }, [c.devRoot, c.prodRoot]);
      const payloads = { app: evilImage() };
      const serialized = encode(schema().TargetsMetadata, targetsMetadata(payloads, 2));
      return bundleAround(serialized, [], payloads, root);
    },
    codes: ["ERR_THRESHOLD_ZERO"],
  },
  {
    threat: "arbitrary software",
    name: "targets metadata without a version",
    setup: devDevice,
    bundle: (c) => {
      const payloads = { app: newImage() };
      const serialized = encode(schema().TargetsMetadata, targetsMetadata(payloads, undefined));
      return bundleAround(serialized, signatures(serialized, [c.devTargets]), payloads);
    },
    codes: ["ERR_TARGETS_VERSION_MISSING"],
  },

  // ---- rollback ----
  {
    threat: "rollback",
    name: "targets version older than the installed one",
    setup: devDeviceAtV3,
    bundle: (c) => makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.devTargets] }),
    codes: ["ERR_TARGETS_ROLLBACK"],
  },
  {
    threat: "rollback",
    name: "root older than the trusted root, signed by the trusted root keys",
    // The device trusts prod root v3; the bundle carries prod root v2, which v3's keys did sign
    // (it was once a legitimate root): only the version stands in the way.
    setup: (c) => ({ root: makeRoot({ rootKeys: [c.prodRoot], targetsKeys: [c.prodTargets], version: 3 }), history: [], signers: [c.prodTargets] }),
    bundle: (c) => makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.prodTargets], root: c.rootV2 }),
    codes: ["ERR_ROOT_ROLLBACK"],
  },
  {
    threat: "rollback",
    name: "root with the trusted version but other content",
    setup: prodDevice,
    bundle: (c) => {
      const sameVersion = makeRoot({ rootKeys: [c.prodRoot], targetsKeys: [c.prodTargets, c.devTargets], version: 2, signers: [c.prodRoot] });
      return makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.devTargets], root: sameVersion });
    },
    codes: ["ERR_ROOT_VERSION_REUSED"],
  },

  // ---- fast-forward and threshold abuse ----
  {
    threat: "fast-forward / threshold",
    name: "one key's targets signature repeated to meet a threshold of 2",
    setup: (c) => {
      const { root, second } = twoOfTwoRoot(c);
      return { root, history: [], signers: [c.devTargets, second] };
    },
    bundle: (c) => {
      const t = validTargets(c);
      return bundleAround(t.serialized, [...t.sigs, ...t.sigs], t.payloads);
    },
    codes: ["ERR_TARGETS_NOT_SIGNED", "ERR_PROTO_DUPLICATE_KEY"],
  },
  {
    threat: "fast-forward / threshold",
    name: "new root signed only by the new root key",
    setup: devDevice,
    bundle: (c) => {
      const root = makeRoot({ rootKeys: [c.prodRoot], targetsKeys: [c.prodTargets], version: 2, signers: [c.prodRoot] });
      return makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.prodTargets], root });
    },
    codes: ["ERR_ROOT_NOT_SIGNED_BY_TRUSTED"],
  },
  {
    threat: "fast-forward / threshold",
    name: "new root signed only by the old root key",
    setup: devDevice,
    bundle: (c) => {
      const root = makeRoot({ rootKeys: [c.prodRoot], targetsKeys: [c.prodTargets], version: 2, signers: [c.devRoot] });
      return makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.prodTargets], root });
    },
    codes: ["ERR_ROOT_NOT_SELF_SIGNED"],
  },
  {
    threat: "fast-forward / threshold",
    name: "new root with a huge version signed by an untrusted key",
    setup: devDevice,
    bundle: (c) => {
      const attacker = keyFromLabel("attacker");
      const root = makeRoot({ rootKeys: [attacker], targetsKeys: [attacker], version: 0xffffffff, signers: [attacker] });
      return makeBundle({ targetsVersion: 0xffffffff, payloads: { app: evilImage() }, signers: [attacker], root });
    },
    codes: ["ERR_ROOT_NOT_SIGNED_BY_TRUSTED"],
  },

  // ---- mix and match ----
  {
    threat: "mix-and-match",
    name: "targets signed under the old root combined with the current root",
    setup: prodDevice,
    bundle: (c) => makeBundle({ targetsVersion: 5, payloads: { app: newImage() }, signers: [c.devTargets], root: c.rootV2 }),
    codes: ["ERR_TARGETS_NOT_SIGNED"],
  },
  {
    threat: "mix-and-match",
    name: "a valid rotation carrying targets signed by the superseded targets key",
    setup: devDevice,
    bundle: (c) => makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.devTargets], root: c.rootV2 }),
    codes: ["ERR_TARGETS_NOT_SIGNED"],
    rootMayRotateTo: (c) => c.rootV2,
  },

  // ---- endless data ----
  {
    threat: "endless data",
    name: "declared target length far beyond the slot",
    setup: devDevice,
    bundle: (c) => {
      const payloads = { app: newImage() };
      const t = targetsMetadata(payloads, 2);
      t.targetFiles![0]!.length = 0xfffffff0;
      const serialized = encode(schema().TargetsMetadata, t);
      return bundleAround(serialized, signatures(serialized, [c.devTargets]), payloads);
    },
    codes: ["ERR_TARGET_TOO_LARGE"],
  },
  {
    threat: "endless data",
    name: "payload longer than its signed length",
    setup: devDevice,
    bundle: (c) => {
      const t = validTargets(c);
      const longer = Buffer.concat([t.payloads.app, image("trailing", 512)]);
      return bundleAround(t.serialized, t.sigs, { app: longer });
    },
    codes: ["ERR_TARGET_LENGTH_MISMATCH"],
  },
  {
    threat: "endless data",
    name: "payload length prefix reaching past the end of the bundle",
    setup: devDevice,
    bundle: (c) => {
      const t = validTargets(c);
      const metadataOnly = bundleAround(t.serialized, t.sigs, {});
      const entry = wire.mapEntry("app", t.payloads.app);
      return Buffer.concat([metadataOnly, wire.lying(BUNDLE_TARGET_PAYLOADS, 0x7fffffff, entry)]);
    },
    codes: ["ERR_PROTO_TRUNCATED", "ERR_BUNDLE_TOO_LARGE"],
  },
  {
    threat: "endless data",
    name: "targets metadata length prefix reaching past the end of the bundle",
    setup: devDevice,
    bundle: (c) => {
      const t = validTargets(c);
      const signed = encode(schema().SignedTargetsMetadata, { serializedTargetsMetadata: t.serialized, signatures: t.sigs });
      return wire.lying(BUNDLE_TARGETS_METADATA, 0x0fffffff, wire.mapEntry(TARGETS_METADATA_NAME, signed));
    },
    codes: ["ERR_PROTO_TRUNCATED", "ERR_TARGETS_TOO_LARGE", "ERR_BUNDLE_FORMAT", "ERR_BUNDLE_TOO_LARGE"],
  },

  // ---- wrong hardware ----
  {
    threat: "wrong hardware",
    name: "bundle for other hardware",
    setup: devDevice,
    bundle: (c) => makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.devTargets], hardwareId: "acme,other-board" }),
    codes: ["ERR_WRONG_HARDWARE"],
  },

  // ---- role confusion ----
  {
    threat: "role confusion",
    name: "root metadata presented as targets metadata",
    setup: (c) => ({ root: sharedKeyRoot(c), history: [], signers: [c.devRoot] }),
    bundle: (c) => {
      const signedRoot = schema().SignedRootMetadata.decode(sharedKeyRoot(c)) as unknown as SignedRootMetadata;
      const serialized = signedRoot.serializedRootMetadata!;
      return bundleAround(serialized, signatures(serialized, [c.devRoot]), { app: newImage() });
    },
    codes: ["ERR_TARGETS_ROLE", "ERR_PROTO_WIRE_TYPE", "ERR_BUNDLE_FORMAT"],
  },

  // ---- unlisted payloads ----
  {
    threat: "unlisted payload",
    name: "a payload the signed metadata does not list",
    setup: devDevice,
    bundle: (c) => {
      const t = validTargets(c);
      return bundleAround(t.serialized, t.sigs, { ...t.payloads, bootloader: image("unlisted payload", 4096) });
    },
    // DESIGN.md: never written anywhere, staging included; issue 5: refused with a named error.
    codes: ["ERR_TARGET_UNKNOWN", "ERR_BUNDLE_FORMAT", "ERR_PAYLOAD_UNLISTED"],
    neverWritten: () => image("unlisted payload", 4096),
  },

  // ---- parser differentials ----
  {
    threat: "parser differential",
    name: "a duplicated singular field inside the signed targets metadata",
    setup: devDevice,
    bundle: (c) => {
      const payloads = { app: newImage() };
      const honest = encode(schema().TargetsMetadata, targetsMetadata(payloads, 2));
      const secondCommon = encode(schema().TargetsMetadata, { commonMetadata: { specVersion: SPEC_VERSION, version: 0xfffffff, role: ROLE_TARGETS } });
      const serialized = Buffer.concat([honest, secondCommon]);
      return bundleAround(serialized, signatures(serialized, [c.devTargets]), payloads);
    },
    codes: ["ERR_PROTO_DUPLICATE_FIELD"],
  },
  {
    threat: "parser differential",
    name: "a target file carrying its length twice",
    setup: devDevice,
    bundle: (c) => {
      const payloads = { app: newImage() };
      const t = targetsMetadata(payloads, 2);
      const file = encode(schema().TargetsMetadata, { targetFiles: t.targetFiles }).subarray(0); // field 2 entry
      // Re-open the single target_files entry and append a second length field inside it.
      const inner = protobuf.Reader.create(file);
      inner.uint32(); // tag of target_files
      const body = inner.bytes();
      const extraLength = protobuf.Writer.create().uint32((TARGET_FILE_LENGTH << 3) | 0).uint32(16).finish();
      const serialized = Buffer.concat([
        encode(schema().TargetsMetadata, { commonMetadata: t.commonMetadata }),
        wire.lengthDelimited(TARGETS_TARGET_FILES, Buffer.concat([body, extraLength])),
      ]);
      return bundleAround(serialized, signatures(serialized, [c.devTargets]), payloads);
    },
    codes: ["ERR_PROTO_DUPLICATE_FIELD"],
  },
  {
    threat: "parser differential",
    name: "two targets metadata entries under the same map key",
    setup: devDevice,
    bundle: (c) => {
      // The second entry comes right after the first, before any payload: a parser keeping the
      // last entry would check the evil, unsigned one (or the first and install the second).
      const t = validTargets(c);
      const honestMetadata = bundleAround(t.serialized, t.sigs, {});
      const evilPayloads = { app: evilImage() };
      const evil = encode(schema().TargetsMetadata, targetsMetadata(evilPayloads, 9));
      const signedEvil = encode(schema().SignedTargetsMetadata, { serializedTargetsMetadata: evil, signatures: [] });
      return Buffer.concat([
        honestMetadata,
        wire.lengthDelimited(BUNDLE_TARGETS_METADATA, wire.mapEntry(TARGETS_METADATA_NAME, signedEvil)),
        encode(schema().UpdateBundle, { targetPayloads: t.payloads }),
      ]);
    },
    codes: ["ERR_PROTO_DUPLICATE_KEY"],
  },
  {
    threat: "parser differential",
    name: "two payloads under the same target name",
    setup: devDevice,
    bundle: (c) => {
      const t = validTargets(c);
      const honest = bundleAround(t.serialized, t.sigs, t.payloads);
      return Buffer.concat([honest, wire.lengthDelimited(BUNDLE_TARGET_PAYLOADS, wire.mapEntry("app", evilImage()))]);
    },
    codes: ["ERR_PROTO_DUPLICATE_KEY"],
  },
  {
    threat: "parser differential",
    name: "a second common_metadata appended outside the signed bytes is ignored, not merged",
    setup: devDevice,
    bundle: (c) => {
      // Same as the first differential but with the signature over the honest bytes only: the
      // appended field makes the signed bytes differ, so it must fail as a bad signature or as
      // a duplicate, never install.
      const payloads = { app: newImage() };
      const honest = encode(schema().TargetsMetadata, targetsMetadata(payloads, 2));
      const sigs = signatures(honest, [c.devTargets]);
      const appended = Buffer.concat([honest, wire.lengthDelimited(TARGETS_COMMON_METADATA, encode(schema().TargetsMetadata, {}))]);
      return bundleAround(appended, sigs, payloads);
    },
    codes: ["ERR_TARGETS_NOT_SIGNED", "ERR_PROTO_DUPLICATE_FIELD"],
  },
];

/** The devDevice's valid update (for truncation and fuzzing). */
export function honestBundle(c: Cast): Uint8Array {
  return makeBundle({ targetsVersion: 2, payloads: { app: newImage() }, signers: [c.devTargets] });
}
