// How a qualification device is made and what it must show. Every suite starts from the same
// factory-fresh device of a board: erased flash, provisioned with the trusted root and the factory
// images in slot A (the baseline release's images at its targets version, or generated images at
// version 0), then powered off. "old" is what that device runs; "new" is what the bundle installs.
import { createHash } from "node:crypto";
import { NorFlash, SimDevice, requireImagesFit, targetSlots, type BootInfo, type Board } from "../../../host-sim/index.js";
import { InputError, USER_MANIFEST_TARGET, forDevice, hex, manifestFromInstalled, parseBundle, parseManifest, parseRoot, schema, type ParsedBundle } from "../../format/index.js";

/** One side of an update: the images (SHA-256 hex and length) and versions a device shows together. */
export interface DeviceSide {
  label: "old" | "new";
  images: Record<string, { sha256: string; length: number }>;
  targetsVersion: number;
  /** Root versions a device may trust on this side (a bundle carrying a root raises it). */
  rootVersions: number[];
}

/** Everything the suites need to know about the bundle and the factory device of one board. */
export interface BoardPlan {
  board: Board;
  root: Uint8Array;
  factoryImages: Record<string, Uint8Array>;
  factoryVersion: number;
  /** The bundle in the order the device streams it. */
  bundle: Uint8Array;
  parsed: ParsedBundle;
  old: DeviceSide;
  new: DeviceSide;
}

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A generated factory image: deterministic bytes, distinct per board and target. */
function generatedImage(board: string, target: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) {
    const digest = createHash("sha256").update(`airlock qualification factory image|${board}|${target}|${block}`).digest();
    out.set(digest.subarray(0, Math.min(32, length - block * 32)), block * 32);
  }
  return out;
}

/** The slot targets a bundle lists (the user manifest is not a slot image). */
function listedTargets(parsed: ParsedBundle): Array<{ name: string; length: number; sha256: string }> {
  const sha256 = schema().enums.hashSha256;
  return (parsed.targets.targetFiles ?? [])
    .filter((file) => file.fileName && file.fileName !== USER_MANIFEST_TARGET)
    .map((file) => ({
      name: file.fileName!,
      length: Number(file.length ?? 0),
      sha256: hex(file.hashes?.find((h) => h.function === sha256)?.hash ?? new Uint8Array()),
    }));
}

function rootVersionOf(root: Uint8Array, what: string): number {
  return Number(parseRoot(root, what).metadata.commonMetadata?.version ?? 0);
}

/**
 * The factory device of `board` and both sides. Inputs that cannot make a device (a root that is
 * not root metadata, a baseline without its payloads or for targets the board lacks) are
 * InputError; a bundle the device will refuse is not refused here: the suites find out on the device.
 */
export function planBoard(board: Board, root: Uint8Array, bundle: Uint8Array, baseline?: Uint8Array): BoardPlan {
  const rootVersion = rootVersionOf(root, "the trusted root");
  const parsed = parseBundle(bundle);
  const boardTargets = board.partitions.targets.map((t) => t.name);
  const factoryImages: Record<string, Uint8Array> = {};
  let factoryVersion = 0;
  if (baseline) {
    const base = parseBundle(baseline, "the baseline bundle");
    factoryVersion = Number(base.targets.commonMetadata?.version ?? 0);
    for (const target of listedTargets(base)) {
      const data = base.payloads[target.name];
      if (!data) throw new InputError(`the baseline bundle lists target "${target.name}" without its payload (personalized out): give the full baseline bundle`);
      factoryImages[target.name] = data;
    }
  } else {
    // The targets the bundle updates that the board has (at least the app), each a small image.
    const names = listedTargets(parsed).map((t) => t.name).filter((name) => boardTargets.includes(name));
    for (const name of names.length ? names : ["app"]) factoryImages[name] = generatedImage(board.name, name, 3001);
  }
  requireImagesFit(board, Object.entries(factoryImages).map(([name, data]) => ({ name, length: data.length })));
  const bundledRoot = parsed.root ? Number(parsed.root.metadata.commonMetadata?.version ?? 0) : undefined;
  const old: DeviceSide = {
    label: "old",
    images: Object.fromEntries(Object.entries(factoryImages).map(([name, data]) => [name, { sha256: sha256Hex(data), length: data.length }])),
    targetsVersion: factoryVersion,
    rootVersions: [rootVersion, ...(bundledRoot !== undefined && bundledRoot !== rootVersion ? [bundledRoot] : [])],
  };
  const fresh: DeviceSide = {
    label: "new",
    images: Object.fromEntries(listedTargets(parsed).map((t) => [t.name, { sha256: t.sha256, length: t.length }])),
    targetsVersion: Number(parsed.targets.commonMetadata?.version ?? 0),
    rootVersions: bundledRoot !== undefined ? [bundledRoot] : [rootVersion],
  };
  return { board, root, factoryImages, factoryVersion, bundle: forDevice(bundle).bytes, parsed, old, new: fresh };
}

/** The factory-fresh device: provisioned, then powered off (only its flash is kept). */
export async function manufacture(plan: BoardPlan): Promise<NorFlash> {
  const flash = new NorFlash(plan.board.flash);
  const device = new SimDevice(flash, plan.board);
  await device.provision(plan.root, plan.factoryImages, { targetsVersion: plan.factoryVersion });
  device.powerOff();
  return flash;
}

/** One power-on: a fresh agent instance over the flash (nothing but flash survives a reset). */
export async function powerOn(plan: BoardPlan, flash: NorFlash): Promise<{ device: SimDevice; info: BootInfo }> {
  flash.powerOn();
  const device = new SimDevice(flash, plan.board);
  const info = await device.powerOn();
  return { device, info };
}

/**
 * Why a booted device is not on `side` (empty: it is): the images its manifest names, the bytes
 * its running slots really hold (hashed from flash), the targets and root versions.
 */
export function differences(plan: BoardPlan, flash: NorFlash, info: BootInfo, side: DeviceSide): string[] {
  const why: string[] = [];
  const expected = Object.keys(side.images).sort();
  const reported = Object.keys(info.images).sort();
  if (expected.join(",") !== reported.join(",")) why.push(`targets ${reported.join(", ") || "none"} reported, ${expected.join(", ")} expected`);
  for (const [name, image] of Object.entries(side.images)) {
    if (info.images[name] === undefined) continue;
    if (info.images[name] !== image.sha256) why.push(`${name} is ${info.images[name]!.slice(0, 16)}… by its manifest, ${image.sha256.slice(0, 16)}… expected`);
    const slots = targetSlots(plan.board, name);
    const bytes = flash.dump(info.slot === "a" ? slots.slotA : slots.slotB, image.length);
    if (sha256Hex(bytes) !== image.sha256) why.push(`the ${name} bytes in slot ${info.slot} hash to ${sha256Hex(bytes).slice(0, 16)}…, not the image`);
  }
  if (info.targetsVersion !== side.targetsVersion) why.push(`targets version ${info.targetsVersion}, ${side.targetsVersion} expected`);
  if (!side.rootVersions.includes(info.rootVersion)) why.push(`root version ${info.rootVersion}, ${side.rootVersions.join(" or ")} expected`);
  return why;
}

/** Which side a booted device is on, or why it is on neither (a mix or a brick). */
export function sideOf(plan: BoardPlan, flash: NorFlash, info: BootInfo): "old" | "new" | string {
  const asNew = differences(plan, flash, info, plan.new);
  if (asNew.length === 0) return "new";
  const asOld = differences(plan, flash, info, plan.old);
  if (asOld.length === 0) return "old";
  return `slot ${info.slot}${info.trial ? " on trial" : ""} is neither side: not new (${asNew.join("; ")}); not old (${asOld.join("; ")})`;
}

/** Why the manifest the device holds differs from the bundle's targets metadata (empty: equal). */
export function manifestDifferences(plan: BoardPlan, device: SimDevice): string[] {
  const userManifest = device.userManifest();
  const held = parseManifest(manifestFromInstalled({ ...device.bootInfo(), ...(userManifest ? { userManifest } : {}) })).targets;
  const sha256 = schema().enums.hashSha256;
  const entries = (files: typeof held.targetFiles) =>
    (files ?? []).map((f) => `${f.fileName}:${Number(f.length ?? 0)}:${hex(f.hashes?.find((h) => h.function === sha256)?.hash ?? new Uint8Array())}`).sort();
  const why: string[] = [];
  const heldVersion = Number(held.commonMetadata?.version ?? 0);
  const bundleVersion = Number(plan.parsed.targets.commonMetadata?.version ?? 0);
  if (heldVersion !== bundleVersion) why.push(`manifest targets version ${heldVersion}, the bundle's is ${bundleVersion}`);
  const a = entries(held.targetFiles);
  const b = entries(plan.parsed.targets.targetFiles);
  if (a.join("|") !== b.join("|")) why.push(`manifest lists ${a.join(", ")}; the bundle lists ${b.join(", ")}`);
  return why;
}
