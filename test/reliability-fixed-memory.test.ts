// Issue 5, fixed memory: the agent declares one 64 KiB page and never more, its static data plus
// the I/O window stay under 16 KiB (read from the module's own sections), and the same single
// page serves a 4 KiB and a 16 MiB bundle alike: memory size identical after both, and no byte
// above 16 KiB is ever written (a canary pattern there survives boot and both updates).
import {
  IO_WINDOW_BYTES, LINK_RX_BYTES, LINK_TX_PACKET_AT, LINK_TX_PACKET_BYTES, LINK_TX_FRAME_AT, LINK_TX_FRAME_BYTES,
  LINK_RX_FRAME_AT, LINK_RX_FRAME_BYTES,
} from "../assembly/limits.js";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadBoard } from "../host-sim/boards.js";
import { NorFlash } from "../host-sim/flash.js";
import { instantiateAgent } from "../host-sim/agent-module.js";
import { encodeLayout } from "../host-sim/layout.js";
import { readMemoryLayout } from "./helpers/wasm-layout.js";
import { largeRp2040 } from "./helpers/large-board.js";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { codeName, manufacture, powerOn, runningImage } from "./helpers/device.js";
import { OK } from "../assembly/status.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOARD_LINEAR_MEMORY_BYTES } from "../board/native/machines.js";

const PAGE = 65536;
const STATIC_LIMIT = 16 * 1024;
const CANARY = 0xa5;
const MiB = 1024 * 1024;

const wasm = (name: string) => readFileSync(fileURLToPath(new URL(`../build/${name}`, import.meta.url)));

function fillCanary(memory: WebAssembly.Memory): void {
  new Uint8Array(memory.buffer).fill(CANARY, STATIC_LIMIT);
}

function canaryIntact(memory: WebAssembly.Memory): boolean {
  return new Uint8Array(memory.buffer).subarray(STATIC_LIMIT).every((b) => b === CANARY);
}

describe("fixed memory", () => {
  it("declares exactly one 64 KiB page as both initial and maximum size", () => {
    for (const name of ["agent.wasm", "agent.debug.wasm", "agent-link.wasm", "agent-link.debug.wasm"]) {
      const layout = readMemoryLayout(wasm(name));
      expect({ name, initial: layout.initialPages, maximum: layout.maximumPages }).toEqual({ name, initial: 1, maximum: 1 });
    }
  });

  it("keeps static data and the I/O window under 16 KiB", async () => {
    // The debug build keeps zero-filled statics (memory.data buffers) as segments, so its last
    // segment end is the whole static footprint; the release build elides zero segments, so its
    // initialised data and its I/O window are bounded separately.
    const debug = readMemoryLayout(wasm("agent.debug.wasm"));
    const release = readMemoryLayout(wasm("agent.wasm"));
    const agent = await instantiateAgent(new NorFlash(loadBoard("nrf52840").flash));
    const ioEnd = agent.exports.io_ptr() + agent.exports.io_len();
    console.log(
      `static memory: debug statics end at ${debug.dataEnd} bytes (${debug.segments.length} segments), ` +
        `release initialised data ends at ${release.dataEnd}, release I/O window ends at ${ioEnd}`,
    );
    expect(debug.dataEnd).toBeLessThan(STATIC_LIMIT);
    expect(release.dataEnd).toBeLessThan(STATIC_LIMIT);
    expect(ioEnd).toBeLessThanOrEqual(STATIC_LIMIT);
  });

  it("keeps the link variant's statics, I/O window and link buffers under 16 KiB", () => {
    // The link lends the I/O window for its frame buffers (limits.ts LINK_*), so what it adds
    // is its state alone; the debug build's last segment bounds all of it.
    const debug = readMemoryLayout(wasm("agent-link.debug.wasm"));
    const plain = readMemoryLayout(wasm("agent.debug.wasm"));
    console.log(`link variant: debug statics end at ${debug.dataEnd} bytes (${debug.dataEnd - plain.dataEnd} more than without the link)`);
    expect(debug.dataEnd).toBeLessThan(STATIC_LIMIT);
    expect(LINK_RX_FRAME_AT + LINK_RX_FRAME_BYTES).toBeLessThanOrEqual(IO_WINDOW_BYTES);
    expect(LINK_TX_FRAME_AT + LINK_TX_FRAME_BYTES + 1).toBeLessThanOrEqual(LINK_RX_FRAME_AT);
    expect(LINK_TX_PACKET_AT + LINK_TX_PACKET_BYTES).toBeLessThanOrEqual(LINK_TX_FRAME_AT);
    expect(LINK_RX_BYTES).toBeLessThanOrEqual(LINK_TX_PACKET_AT);
  });

  it("ends every static of the release builds below the boards' linear memory", async () => {
    // The boards back only the first BOARD_LINEAR_MEMORY_BYTES of the page (board/native/
    // machines.ts). The release build elides zero-filled statics from its data segments, so the
    // end of them all is read from the compiler itself: __heap_base, exported by a second entry
    // compiled beside each agent entry with the release target's options.
    const out = mkdtempSync(join(tmpdir(), "airlock-statics-"));
    const asc = fileURLToPath(new URL("../node_modules/.bin/asc", import.meta.url));
    const ends: Record<string, number> = {};
    for (const [entry, target] of [["assembly/index.ts", "release"], ["assembly/agent-link.ts", "link"]] as const) {
      const file = join(out, `${target}.wasm`);
      execFileSync(asc, [entry, "assembly/probe/statics-end.ts", "--target", target, "-o", file], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        stdio: "pipe",
      });
      const module = new WebAssembly.Module(readFileSync(file));
      const imports: WebAssembly.Imports = {};
      for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
      const { statics_end } = new WebAssembly.Instance(module, imports).exports as { statics_end: () => number };
      ends[target] = statics_end();
    }
    console.log(`release statics end at ${ends.release} (agent.wasm) and ${ends.link} (agent-link.wasm) of the boards' ${BOARD_LINEAR_MEMORY_BYTES} bytes`);
    expect(ends.release).toBeGreaterThan(IO_WINDOW_BYTES); // the probe saw the agent's statics
    expect(ends.release).toBeLessThanOrEqual(BOARD_LINEAR_MEMORY_BYTES);
    expect(ends.link).toBeLessThanOrEqual(BOARD_LINEAR_MEMORY_BYTES);
  }, 300_000);

  it("writes nothing above 16 KiB while configuring and booting", async () => {
    const board = loadBoard("rp2040");
    const c = cast();
    const flash = await manufacture(board, c.rootV1, { app: image("small app", 4096) });
    const agent = await instantiateAgent(flash);
    fillCanary(agent.memory);
    const layout = encodeLayout(board);
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(OK);
    expect(agent.exports.boot()).toBeGreaterThanOrEqual(0);
    expect(canaryIntact(agent.memory)).toBe(true);
    expect(agent.memory.buffer.byteLength).toBe(PAGE);
  });

  it("uses the same single page for a 4 KiB and a 16 MiB bundle", async () => {
    const board = largeRp2040();
    const c = cast();
    const flash = await manufacture(board, c.rootV1, { app: image("factory app", 4096) });
    const sizes: Record<string, number> = {};
    let version = 2;
    for (const [label, bundleBytes] of [["4 KiB", 4096], ["16 MiB", 16 * MiB]] as const) {
      // The payload fills the bundle up to bundleBytes minus its metadata.
      const overhead = makeBundle({ targetsVersion: version, payloads: { app: new Uint8Array(1) }, signers: [c.devTargets] }).length - 1;
      const payload = image(`app for the ${label} bundle`, bundleBytes - overhead - 8);
      const bundle = makeBundle({ targetsVersion: version, payloads: { app: payload }, signers: [c.devTargets] });
      expect(Math.abs(bundle.length - bundleBytes)).toBeLessThan(64);
      const session = await powerOn(board, flash);
      fillCanary(session.device.instance.memory);
      const started = performance.now();
      expect(codeName(await session.update(bundle))).toBe("OK");
      const ms = performance.now() - started;
      sizes[label] = session.device.memoryBytes();
      expect(canaryIntact(session.device.instance.memory), `bytes above 16 KiB written during the ${label} update`).toBe(true);
      const trial = await powerOn(board, flash);
      // Buffer.compare, not toEqual: a deep equality walk over 16 Mi elements exhausts the heap.
      expect(Buffer.compare(runningImage(board, flash, trial.report, "app", payload.length), payload)).toBe(0);
      expect(await trial.confirm()).toBe(OK);
      console.log(`${label} bundle (${bundle.length} bytes): memory ${sizes[label]} bytes, update ${ms.toFixed(0)} ms`);
      version++;
    }
    expect(sizes["4 KiB"]).toBe(PAGE);
    expect(sizes["16 MiB"]).toBe(PAGE);
  }, 300_000);
});
