// Writes the C headers the firmware needs from the project's single sources of truth, so no
// number is copied by hand into C: the status codes (assembly/status.ts) and, per QEMU machine,
// the flash geometry and layout descriptor of its board (board/<layout board>.json, encoded by
// host-sim/layout.ts exactly as the simulator encodes it), its factory fixtures, and the same two
// for the link firmware's Pigweed variant (board/pigweed/<layout board>-pigweed-targets.json).
//
//   npx tsx board/native/generate-headers.ts OUT_DIR
import { createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as status from "../../assembly/status.js";
import { MAX_TARGET_NAME } from "../../assembly/limits.js";
import { loadBoard, APP_TARGET, encodeLayout, STATE, RESULT, type Board } from "../../host-sim/index.js";
import { BOARD_LINEAR_MEMORY_BYTES, QEMU_MACHINES } from "./machines.js";
import { demoFixtures } from "./fixtures.js";
import { pigweedBoardPath, pigweedFixtures } from "./pigweed-fixtures.js";
import { cBytes, cHeader } from "./c-source.js";

const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url));

function statusHeader(): string {
  const lines = Object.entries(status)
    .filter(([, value]) => typeof value === "number")
    .sort(([, a], [, b]) => (b as number) - (a as number))
    .map(([name, value]) => `#define ${name} (${value})`);
  // Pigweed's BundledUpdateState / BundledUpdateResult numbers, as the agent reports them.
  const states = Object.entries(STATE).map(([name, value]) => `#define UPDATE_STATE_${name} ${value}u`);
  const results = Object.entries(RESULT).map(([name, value]) => `#define UPDATE_RESULT_${name} ${value}u`);
  return cHeader(
    "AIRLOCK_STATUS_H",
    "Status codes of the agent (assembly/status.ts), its update states and results (Pigweed's numbers), and the target name bound.",
    [...lines, ...states, ...results, "", "/** Bytes of a target name in the layout and in boot info entries (assembly/limits.ts). */", `#define MAX_TARGET_NAME ${MAX_TARGET_NAME}u`].join("\n"),
  );
}

/** `boardName` is a board of board/ or the path of a board file (the Pigweed variant's). */
function layoutHeader(machine: string, boardName: string): string {
  const board = loadBoard(boardName);
  const runs = board.flash.sectors.map((r) => `{${r.size}u, ${r.count}u}`).join(", ");
  const slots = board.partitions.targets.map((t) => `    {${t.slotA}u, ${t.slotB}u, ${t.slotSize}u}, /* ${t.name} */`);
  const body = [
    `#include "nor-emu.h"`,
    ``,
    `#define LAYOUT_BOARD_NAME "${board.name}"`,
    `static const nor_sector_run_t layout_sector_runs[] = {${runs}};`,
    `static const nor_geometry_t layout_geometry = {`,
    `    layout_sector_runs, ${board.flash.sectors.length}u, ${board.flash.writeUnit}u, ${board.flash.erasedValue}u};`,
    ``,
    `/** Each target's two slots (flash addresses), in the layout's order, which boot info keeps. */`,
    `typedef struct {`,
    `  uint32_t slot_a;`,
    `  uint32_t slot_b;`,
    `  uint32_t slot_size;`,
    `} layout_target_t;`,
    `#define LAYOUT_TARGET_COUNT ${board.partitions.targets.length}u`,
    `static const layout_target_t layout_targets[LAYOUT_TARGET_COUNT] = {`,
    ...slots,
    `};`,
    ``,
    `/** The layout descriptor passed to the agent's configure() at every power-on. */`,
    cBytes("layout_descriptor", encodeLayout(board)),
  ].join("\n");
  return cHeader("AIRLOCK_LAYOUT_H", `Flash layout of ${machine}: ${boardName.endsWith(".json") ? relative(REPO_DIR, boardName) : `board/${board.name}.json`}.`, body);
}

// PKCS#8 DER prefix of an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * The Ed25519 case the bench verifies: a fixed seed (so every run measures the same work) and a
 * 64-byte message, the size of a short metadata digest-and-header. The host test checks the
 * firmware's verdicts on it and on a copy with one signature bit flipped.
 */
export function benchEd25519Vector(): { publicKey: Uint8Array; signature: Uint8Array; message: Uint8Array } {
  const seed = Buffer.alloc(32, 0x5a);
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKey = new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-32));
  const message = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff);
  const signature = new Uint8Array(sign(null, message, key));
  return { publicKey, signature, message };
}

/**
 * The P-256 case the bench verifies: RFC 6979 appendix A.2.5, ECDSA P-256 with SHA-256, message
 * "sample" (a published vector: the same work in every run, and a verdict nobody here chose).
 */
export function benchP256Vector(): { publicKey: Uint8Array; signature: Uint8Array; digest: Uint8Array } {
  const publicKey = Buffer.from(
    "04" + "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" + "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
    "hex",
  );
  const signature = Buffer.from(
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" + "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
    "hex",
  );
  const digest = createHash("sha256").update("sample").digest();
  return { publicKey: new Uint8Array(publicKey), signature: new Uint8Array(signature), digest: new Uint8Array(digest) };
}

function benchVectorsHeader(): string {
  const { publicKey, signature, message } = benchEd25519Vector();
  const p256 = benchP256Vector();
  const body = [
    cBytes("bench_ed25519_public_key", publicKey),
    cBytes("bench_ed25519_signature", signature),
    cBytes("bench_ed25519_message", message),
    cBytes("bench_p256_public_key", p256.publicKey),
    cBytes("bench_p256_signature", p256.signature),
    cBytes("bench_p256_digest", p256.digest),
  ].join("\n");
  return cHeader("AIRLOCK_BENCH_VECTORS_H", "Ed25519 and P-256 cases for bench.c.", body);
}

/**
 * What the factory writes (device-common.c provision_factory): the root, and an image for each
 * listed target, by its index in the board's layout.
 */
function factoryBody(board: Board, root: Uint8Array, images: Record<string, Uint8Array>): string[] {
  const index = (name: string) => {
    const i = board.partitions.targets.findIndex((t) => t.name === name);
    if (i < 0) throw new Error(`board ${board.name} has no target "${name}" for its factory image`);
    return i;
  };
  const names = Object.keys(images);
  return [
    cBytes("factory_root", root),
    ...names.map((name, i) => cBytes(`factory_image_${i}`, images[name]!)),
    `typedef struct {`,
    `  uint32_t target;`,
    `  const uint8_t *bytes;`,
    `  uint32_t len;`,
    `} factory_image_t;`,
    `#define FACTORY_IMAGE_COUNT ${names.length}u`,
    `static const factory_image_t factory_images[FACTORY_IMAGE_COUNT] = {`,
    ...names.map((name, i) => `    {${index(name)}u, factory_image_${i}, ${images[name]!.length}u}, /* ${name} */`),
    `};`,
  ];
}

/** The update demo's inputs for a machine (bundles bound to its board's hardware ID). */
function fixturesHeader(machine: string, boardName: string): string {
  const board = loadBoard(boardName);
  const f = demoFixtures(board.hardwareId);
  const body = [
    ...factoryBody(board, f.root, { [APP_TARGET]: f.factoryImage }),
    cBytes("demo_update_bundle", f.updateBundle),
    cBytes("demo_bad_signature_bundle", f.badSignatureBundle),
  ].join("\n");
  return cHeader("AIRLOCK_FIXTURES_H", `Update demo inputs for ${machine} (board/native/fixtures.ts).`, body);
}

/** The Pigweed variant's factory: the P-256 root and images for app, file1 and file2. */
function pigweedFixturesHeader(machine: string, boardPath: string): string {
  const f = pigweedFixtures();
  const body = factoryBody(loadBoard(boardPath), f.root, f.factoryImages).join("\n");
  return cHeader("AIRLOCK_FIXTURES_H", `Pigweed-bundle factory for ${machine} (board/native/pigweed-fixtures.ts).`, body);
}

function memoryHeader(): string {
  return cHeader(
    "AIRLOCK_MEMORY_H",
    "Bytes of linear memory the runtime gives the agent (board/native/machines.ts BOARD_LINEAR_MEMORY_BYTES).",
    `#define AIRLOCK_LINEAR_MEMORY_BYTES ${BOARD_LINEAR_MEMORY_BYTES}u`,
  );
}

/** The same number for the Makefile (fixed-memory-bounds.ts and the probe take it as an argument). */
function memoryMakefile(): string {
  return `# Generated by board/native/generate-headers.ts from machines.ts BOARD_LINEAR_MEMORY_BYTES.\nLINEAR_MEMORY_BYTES := ${BOARD_LINEAR_MEMORY_BYTES}\n`;
}

/** Writes a file only when its content changes, so make rebuilds only what depends on it. */
function writeIfChanged(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === content) return;
  writeFileSync(path, content);
}

/** Writes every generated header under outDir (build/board/generated). */
export function generateHeaders(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  writeIfChanged(join(outDir, "airlock-status.h"), statusHeader());
  writeIfChanged(join(outDir, "bench-vectors.h"), benchVectorsHeader());
  writeIfChanged(join(outDir, "airlock-memory.h"), memoryHeader());
  writeIfChanged(join(outDir, "memory.mk"), memoryMakefile());
  for (const [machine, { layoutBoard }] of Object.entries(QEMU_MACHINES)) {
    mkdirSync(join(outDir, machine), { recursive: true });
    writeIfChanged(join(outDir, machine, "layout.h"), layoutHeader(machine, layoutBoard));
    writeIfChanged(join(outDir, machine, "fixtures.h"), fixturesHeader(machine, layoutBoard));
    // The link firmware's Pigweed variant: the same headers for the board's Pigweed-targets file.
    const pigweed = pigweedBoardPath(layoutBoard);
    mkdirSync(join(outDir, machine, "pigweed"), { recursive: true });
    writeIfChanged(join(outDir, machine, "pigweed", "layout.h"), layoutHeader(machine, pigweed));
    writeIfChanged(join(outDir, machine, "pigweed", "fixtures.h"), pigweedFixturesHeader(machine, pigweed));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error("usage: tsx board/native/generate-headers.ts OUT_DIR");
    process.exit(2);
  }
  generateHeaders(outDir);
}
