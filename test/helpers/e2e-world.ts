// A small world for end-to-end tests through the CLI: dev and prod keys, their roots (good and
// broken), firmware images, and helpers that drive simulated devices with `airlock sim`.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { encodeBundle, parseBundle, encode, schema, type TargetsMetadata, encodeSignedRoot, parseRoot } from "../../tools/format/index.js";
import type { BootReport } from "../../host-sim/index.js";
import { airlock, type CliRun } from "./cli-run.js";

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** A firmware-like image: deterministic bytes that differ per label. */
export function firmware(label: string, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let block = 0; block * 32 < bytes; block++) {
    createHash("sha256").update(`${label}/${block}`).digest().copy(out, block * 32);
  }
  return out;
}

export async function ok(...args: string[]): Promise<CliRun> {
  const run = await airlock(...args);
  if (run.code !== 0) throw new Error(`airlock ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return run;
}

/** A copy of `data` with the lowest bit of byte `index` flipped. */
export function flipByte(data: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(data);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

export class World {
  constructor(readonly dir: string) {}

  at(name: string): string {
    return join(this.dir, name);
  }

  /** Keys, roots and images every e2e case starts from. */
  async build(): Promise<this> {
    for (const key of ["dev-root", "dev-targets", "prod-root", "prod-targets"]) await ok("keygen", this.at(key));
    for (const [name, label, bytes] of [["v1", "firmware v1", 20_000], ["v2", "firmware v2", 24_000], ["v3", "firmware v3", 22_000]] as const) {
      writeFileSync(this.at(`${name}.bin`), firmware(label, bytes));
    }
    // The development root: version 1, trusted by every factory-fresh device here.
    await ok("root", "create", "--root-key", this.at("dev-root.pub"), "--targets-key", this.at("dev-targets.pub"), "--version", "1", "-o", this.at("dev-root.bin"));
    await ok("root", "sign", "--key", this.at("dev-root"), this.at("dev-root.bin"));
    // The production root: version 2, signed by the old (dev) and the new (prod) root keys.
    await ok("root", "create", "--root-key", this.at("prod-root.pub"), "--targets-key", this.at("prod-targets.pub"), "--version", "2", "-o", this.at("prod-root-unsigned.bin"));
    await ok("root", "sign", "--key", this.at("dev-root"), this.at("prod-root-unsigned.bin"), "-o", this.at("prod-root-old-only.bin"));
    await ok("root", "sign", "--key", this.at("prod-root"), this.at("prod-root-old-only.bin"), "-o", this.at("prod-root.bin"));
    await ok("root", "sign", "--key", this.at("prod-root"), this.at("prod-root-unsigned.bin"), "-o", this.at("prod-root-new-only.bin"));
    // An older production root (version 1) that the production keys signed properly: a rollback.
    await ok("root", "create", "--root-key", this.at("prod-root.pub"), "--targets-key", this.at("prod-targets.pub"), "--version", "1", "-o", this.at("prod-root-v1.bin"));
    await ok("root", "sign", "--key", this.at("prod-root"), this.at("prod-root-v1.bin"));
    // The production root with one corrupted signature: the new key's (index 1), or the old key's (index 0).
    this.corruptRootSignature("prod-root.bin", 1, "prod-root-bad-new-sig.bin");
    this.corruptRootSignature("prod-root.bin", 0, "prod-root-bad-old-sig.bin");
    return this;
  }

  private corruptRootSignature(from: string, index: number, to: string): void {
    const root = parseRoot(readFileSync(this.at(from)));
    const signatures = (root.signed.signatures ?? []).map((s, i) => (i === index ? { ...s, sig: flipByte(s.sig!, 10) } : s));
    writeFileSync(this.at(to), encodeSignedRoot(root.serialized, signatures));
  }

  /** `bundle create` + `bundle sign` with each key; returns the bundle's path. */
  async bundle(name: string, options: { version: number; images: Record<string, string>; root?: string; signers: string[]; hardware?: string }): Promise<string> {
    const out = this.at(name);
    const args = ["bundle", "create", "-o", out, "--targets-version", String(options.version)];
    if (options.root) args.push("--root", this.at(options.root));
    if (options.hardware) args.push("--hardware", options.hardware);
    for (const [target, file] of Object.entries(options.images)) args.push(`${target}=${this.at(file)}`);
    await ok(...args);
    for (const signer of options.signers) await ok("bundle", "sign", "--key", this.at(signer), out);
    return out;
  }

  /**
   * A bundle whose signed targets metadata is `edit`ed from the honest one before signing: for
   * metadata the CLI refuses to write (wrong hashes, lengths), signed with the CLI afterwards.
   */
  async editedBundle(name: string, base: { version: number; images: Record<string, string>; root?: string }, signer: string, edit: (t: TargetsMetadata) => TargetsMetadata): Promise<string> {
    const honest = await this.bundle(`${name}.honest`, { ...base, signers: [] });
    const bundle = parseBundle(readFileSync(honest));
    const edited = encode(schema().TargetsMetadata, edit(bundle.targets));
    writeFileSync(this.at(name), encodeBundle(bundle.root?.signed, { serializedTargetsMetadata: edited, signatures: [] }, bundle.payloads));
    await ok("bundle", "sign", "--key", this.at(signer), this.at(name));
    return this.at(name);
  }

  /** A copy of a signed bundle with its first targets signature corrupted. */
  corruptTargetsSignature(path: string, name: string): string {
    const bundle = parseBundle(readFileSync(path));
    const signatures = (bundle.targetsSigned.signatures ?? []).map((s, i) => (i === 0 ? { ...s, sig: flipByte(s.sig!, 20) } : s));
    writeFileSync(this.at(name), encodeBundle(bundle.root?.signed, { serializedTargetsMetadata: bundle.targetsSerialized, signatures }, bundle.payloads));
    return this.at(name);
  }

  /** A factory-fresh device trusting `root`, running `image` as app. */
  async device(name: string, root = "dev-root.bin", image = "v1.bin"): Promise<string> {
    const path = this.at(`${name}.flash`);
    await ok("sim", "init", "--flash", path, "--root", this.at(root), `app=${this.at(image)}`);
    return path;
  }

  image(name: string): string {
    return sha256(readFileSync(this.at(name)));
  }
}

export interface UpdateJson extends BootReport {
  result: string;
  error: string | null;
  message: string;
  flashOps: number;
}

export async function simUpdate(device: string, bundle: string, ...extra: string[]): Promise<{ code: number; json: UpdateJson; stderr: string }> {
  const run = await airlock("sim", "update", "--flash", device, bundle, "--json", ...extra);
  return { code: run.code, json: JSON.parse(run.stdout) as UpdateJson, stderr: run.stderr };
}

export async function simBoot(device: string): Promise<BootReport> {
  return JSON.parse((await ok("sim", "boot", "--flash", device, "--json")).stdout) as BootReport;
}

export async function simConfirm(device: string): Promise<void> {
  await ok("sim", "confirm", "--flash", device);
}

/** Sends a bundle the device must refuse with `error`; asserts exit 1, one line, and nothing changed. */
export async function expectRefused(device: string, bundle: string, error: string, after?: Partial<BootReport>): Promise<void> {
  const before = await simBoot(device);
  const { code, json, stderr } = await simUpdate(device, bundle);
  expect(json.error).toBe(error);
  expect(json.result).not.toBe("SUCCESS");
  expect(code).toBe(1);
  expect(stderr).toMatch(new RegExp(`^airlock: bundle rejected: ${error}: .*\\n$`));
  const now = await simBoot(device);
  expect(now).toEqual({ ...before, ...after });
}
