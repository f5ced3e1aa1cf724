// Bundles as Pigweed's own tools make them, for the interop tests on the simulator
// (test/e2e-pigweed-p256.test.ts) and on the boards (test/board-pigweed.test.ts).
//
// pw_software_update's update_bundle.py and dev_sign.py are reproduced from the protos and
// keys.py's rules rather than with airlock's own bundle writer: one protobuf encoding of the whole
// UpdateBundle (so the root comes last, field 5, where a device wants it first), targets `file1`,
// `file2` and `user_manifest` as Pigweed's test bundles carry, no hardware ID, and ECDSA P-256
// signatures (raw r || s over the serialized metadata, key IDs SHA-256(type || scheme || keyval)).
// Such bundles need a board with those targets: board/pigweed/ has one per board.
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { p256 } from "@noble/curves/p256";
import {
  createRoot, encode, encodeSignedRoot, parseRoot, schema, signBytes, SPEC_VERSION, USER_MANIFEST_TARGET,
  type SigningKey,
} from "../../tools/format/index.js";
import { APP_TARGET } from "../../host-sim/index.js";
import { demoImage, demoP256Key, demoP256Scalar } from "./fixtures.js";

const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

/**
 * The board file for Pigweed's targets on a board: board/pigweed/<board>-pigweed-targets.json,
 * passed by path as a team passes its own board file. Written by hand, not derived: each says
 * how its part's sectors were shared out (stm32f4's 128 KiB sectors allow only one way).
 */
export function pigweedBoardPath(boardName: string): string {
  return fileURLToPath(new URL(`../pigweed/${boardName}-pigweed-targets.json`, import.meta.url));
}

export interface PigweedBundleOptions {
  /** Signed root metadata, carried as Pigweed carries it (field 5, after the payloads). */
  root: Uint8Array;
  targetsKey: SigningKey;
  targetsVersion: number;
  /** Target name -> bytes, in the order update_bundle.py lists them. */
  payloads: Record<string, Uint8Array>;
}

/** An UpdateBundle the way update_bundle.py builds it and dev_sign.py signs it. */
export function pigweedBundle({ root, targetsKey, targetsVersion, payloads }: PigweedBundleOptions): Uint8Array {
  const s = schema();
  // update_bundle.py: TargetsMetadata listing each file (name, length, SHA-256) ...
  const targets = encode(s.TargetsMetadata, {
    commonMetadata: { specVersion: SPEC_VERSION, version: targetsVersion, role: "targets" },
    targetFiles: Object.entries(payloads).map(([fileName, data]) => ({ fileName, length: data.length, hashes: [{ function: s.enums.hashSha256, hash: sha256(data) }] })),
  });
  // ... dev_sign.py: signed with the targets key (keys.py create_ecdsa_signature: raw r || s) ...
  const signature = { keyId: targetsKey.keyId, sig: signBytes(targetsKey, targets) };
  // ... and the whole UpdateBundle encoded at once, so the root (field 5) follows the payloads.
  return encode(s.UpdateBundle, {
    targetsMetadata: { targets: { serializedTargetsMetadata: targets, signatures: [signature] } },
    targetPayloads: payloads,
    rootMetadata: s.SignedRootMetadata.decode(root),
  });
}

export interface PigweedFixtures {
  /** Root version 1: one P-256 root key and one P-256 targets key, signed by the root key. */
  root: Uint8Array;
  targetsKey: SigningKey;
  /** What the factory writes to slot A of app, file1 and file2. */
  factoryImages: Record<string, Uint8Array>;
  /** The update's payloads: new file1 and file2 and a user manifest; app is not in it. */
  updatePayloads: Record<string, Uint8Array>;
  updateTargetsVersion: number;
}

/**
 * The board firmware's Pigweed case: deterministic keys and images, so the root baked into the
 * firmware at build time is byte for byte the one the test puts in the bundle (a bundle's root of
 * the trusted version must be identical to it). Node's ECDSA draws a random nonce, so the root is
 * signed with RFC 6979's deterministic one (@noble/curves); the bundle, made at test time, is not
 * needed twice and is signed as dev_sign.py signs. Images are small: lm3s6965evb's flash
 * emulation holds 58 pages of 512 bytes for the three factory images, the staged bundle, the
 * copies in slots B and the records.
 */
export function pigweedFixtures(): PigweedFixtures {
  const rootKey = demoP256Key("pigweed root");
  const targetsKey = demoP256Key("pigweed targets");
  const unsigned = parseRoot(createRoot({ rootKeys: [rootKey], targetsKeys: [targetsKey], version: 1 }));
  const sig = p256.sign(sha256(unsigned.serialized), demoP256Scalar("pigweed root")).toCompactRawBytes();
  const root = encodeSignedRoot(unsigned.serialized, [{ keyId: rootKey.keyId, sig }]);
  return {
    root,
    targetsKey,
    factoryImages: {
      [APP_TARGET]: demoImage("pigweed factory app", 1501),
      file1: demoImage("pigweed factory file1", 1203),
      file2: demoImage("pigweed factory file2", 905),
    },
    updatePayloads: {
      file1: demoImage("pigweed file1 v2", 2503),
      file2: demoImage("pigweed file2 v2", 1707),
      [USER_MANIFEST_TARGET]: new TextEncoder().encode("pigweed user manifest v2"),
    },
    updateTargetsVersion: 2,
  };
}
