// The device manifest (Pigweed's Manifest message): what a device has installed — the targets
// metadata of the last bundle it applied, and that bundle's user_manifest payload if it had one.
// An update server reads it to personalize bundles; `bundle verify --manifest` checks a bundle
// against it.
import { parseBundle, sha256Of, TARGETS_METADATA_NAME } from "./bundle.js";
import { InputError } from "./errors.js";
import { hex } from "./keys.js";
import { ROLE_TARGETS, SPEC_VERSION } from "./metadata.js";
import { decode, encode, schema, type Manifest, type TargetsMetadata } from "./proto.js";
import { USER_MANIFEST_TARGET } from "./targets.js";

/** The manifest a device holds after installing `bundle`. */
export function manifestFromBundle(bundle: Uint8Array, what = "bundle"): Uint8Array {
  const parsed = parseBundle(bundle, what);
  const userManifest = parsed.payloads[USER_MANIFEST_TARGET];
  return encode(schema().Manifest, {
    targetsMetadata: { [TARGETS_METADATA_NAME]: parsed.targets },
    ...(userManifest ? { userManifest } : {}),
  });
}

/** A device's installed images as its boot information reports them, and its user manifest. */
export interface InstalledImages {
  targetsVersion: number;
  /** Target name -> SHA-256 (hex). */
  images: Record<string, string>;
  /** Target name -> length in bytes. */
  lengths: Record<string, number>;
  /** The running manifest's user manifest bytes, if it has one. */
  userManifest?: Uint8Array;
}

/**
 * The manifest describing what a device runs: its targets version, each image, and the user
 * manifest (listed as the target "user_manifest", as in the bundle it came from, and carried
 * in Manifest.user_manifest).
 */
export function manifestFromInstalled(installed: InstalledImages): Uint8Array {
  const sha256 = schema().enums.hashSha256;
  const targetFiles = Object.entries(installed.images).map(([fileName, digest]) => ({
    fileName,
    length: installed.lengths[fileName] ?? 0,
    hashes: [{ function: sha256, hash: Buffer.from(digest, "hex") }],
  }));
  const userManifest = installed.userManifest;
  if (userManifest) {
    targetFiles.push({ fileName: USER_MANIFEST_TARGET, length: userManifest.length, hashes: [{ function: sha256, hash: Buffer.from(sha256Of(userManifest)) }] });
  }
  const targets: TargetsMetadata = {
    commonMetadata: { specVersion: SPEC_VERSION, version: installed.targetsVersion, role: ROLE_TARGETS },
    targetFiles,
  };
  return encode(schema().Manifest, {
    targetsMetadata: { [TARGETS_METADATA_NAME]: targets },
    ...(userManifest ? { userManifest } : {}),
  });
}

export interface ParsedManifest {
  targets: TargetsMetadata;
  userManifest?: Uint8Array;
}

/** Decodes a manifest; one without "targets" metadata of role "targets" is an InputError. */
export function parseManifest(bytes: Uint8Array, what = "manifest"): ParsedManifest {
  const manifest = decode<Manifest>(schema().Manifest, bytes, what);
  const targets = manifest.targetsMetadata?.[TARGETS_METADATA_NAME];
  if (!targets || targets.commonMetadata?.role !== ROLE_TARGETS) {
    throw new InputError(`${what} holds no "targets" metadata; make one with \`airlock manifest create --bundle BUNDLE\``);
  }
  return { targets, ...(manifest.userManifest?.length ? { userManifest: manifest.userManifest } : {}) };
}

export interface ManifestReport {
  targetsVersion: number;
  hardwareId: string | null;
  targets: Array<{ name: string; length: number; sha256: string }>;
  userManifestBytes: number | null;
}

export function inspectManifest(bytes: Uint8Array, what = "manifest"): ManifestReport {
  const { targets, userManifest } = parseManifest(bytes, what);
  const sha256 = schema().enums.hashSha256;
  return {
    targetsVersion: targets.commonMetadata?.version ?? 0,
    hardwareId: targets.hardwareId ? targets.hardwareId : null,
    targets: (targets.targetFiles ?? []).map((f) => ({
      name: f.fileName ?? "",
      length: f.length ?? 0,
      sha256: hex(f.hashes?.find((h) => h.function === sha256)?.hash ?? new Uint8Array()),
    })),
    userManifestBytes: userManifest ? userManifest.length : null,
  };
}
