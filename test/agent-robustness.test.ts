// Nothing the host sends can trap the agent, loop it or grow its memory: malformed layout
// descriptors, provisioning requests and bundles (truncated at every byte of their metadata,
// bit-flipped, random) are refused with named codes, and the device stays as it was.
import { describe, it, expect } from "vitest";
import * as S from "../assembly/status.js";
import { IO_WINDOW_BYTES, LAYOUT_MAGIC } from "../assembly/limits.js";
import { cast, image, makeRoot, keyFromLabel } from "./helpers/fixtures.js";
import { goodBundle, concat, field, varint } from "./helpers/agent-craft.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import { encodeLayout } from "../host-sim/layout.js";
import { loadBoard } from "../host-sim/boards.js";
import { instantiateAgent, AGENT_WASM_URL } from "../host-sim/agent-module.js";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NorFlash } from "../host-sim/flash.js";
import { STATE, statusName } from "../host-sim/index.js";

const { devTargets, devRoot, rootV1 } = cast();
const v1 = image("factory app", 9_000);
const v2 = image("app v2", 10_000);
const board = loadBoard("nrf52840");

function knownCode(code: number): boolean {
  return !statusName(code).startsWith("UNKNOWN_");
}

describe("footprint", () => {
  it("the whole agent.wasm stays under 48 KiB", () => {
    const size = statSync(fileURLToPath(AGENT_WASM_URL)).size;
    expect(size).toBeGreaterThan(10_000);
    expect(size).toBeLessThan(48 * 1024);
  });
});

describe("layout descriptor", () => {
  const good = encodeLayout(board);
  const mutate = (f: (v: DataView, b: Uint8Array) => void, length = good.length): Uint8Array => {
    const b = new Uint8Array(length);
    b.set(good.subarray(0, Math.min(length, good.length)));
    f(new DataView(b.buffer), b);
    return b;
  };
  const runsAt = 12;
  const metaAt = runsAt + 8 * board.flash.sectors.length;
  const targetAt = metaAt + 16;
  const cases: Array<[string, Uint8Array, number]> = [
    ["a short descriptor", good.subarray(0, 11), S.ERR_LAYOUT_LENGTH],
    ["a descriptor longer than its counts", mutate(() => {}, good.length + 1), S.ERR_LAYOUT_LENGTH],
    ["another magic", mutate((v) => v.setUint32(0, LAYOUT_MAGIC ^ 1, true)), S.ERR_LAYOUT_MAGIC],
    ["another version", mutate((v) => v.setUint8(4, 2)), S.ERR_LAYOUT_MAGIC],
    ["a write unit of 3", mutate((v) => v.setUint8(5, 3)), S.ERR_LAYOUT_GEOMETRY],
    ["a write unit of 64", mutate((v) => v.setUint8(5, 64)), S.ERR_LAYOUT_GEOMETRY],
    ["an erased value of 0x55", mutate((v) => v.setUint8(6, 0x55)), S.ERR_LAYOUT_GEOMETRY],
    ["zero sector runs", mutate((v) => v.setUint8(7, 0)), S.ERR_LAYOUT_LENGTH],
    ["zero targets", mutate((v) => v.setUint8(8, 0)), S.ERR_LAYOUT_LENGTH],
    ["a flash larger than 4 GiB", mutate((v) => v.setUint32(runsAt + 4, 0x200000, true)), S.ERR_LAYOUT_GEOMETRY],
    ["sectors of 0 bytes", mutate((v) => v.setUint32(runsAt, 0, true)), S.ERR_LAYOUT_GEOMETRY],
    ["a misaligned metadata partition", mutate((v) => v.setUint32(metaAt, board.partitions.metadata.offset + 100, true)), S.ERR_LAYOUT_PARTITION],
    ["staging past the end of flash", mutate((v) => v.setUint32(metaAt + 12, 0xfffff000, true)), S.ERR_LAYOUT_PARTITION],
    ["slot B over staging", mutate((v) => v.setUint32(targetAt + 36, board.partitions.staging.offset, true)), S.ERR_LAYOUT_OVERLAP],
    ["slot A over the metadata", mutate((v) => v.setUint32(targetAt + 32, board.partitions.metadata.offset, true)), S.ERR_LAYOUT_OVERLAP],
    ["an empty target name", mutate((_, b) => b.fill(0, targetAt, targetAt + 32)), S.ERR_LAYOUT_TARGET],
    ["a name with bytes after its padding", mutate((_, b) => { b[targetAt + 20] = 65; }), S.ERR_LAYOUT_TARGET],
    ["a one-sector metadata partition", mutate((v) => v.setUint32(metaAt + 4, 4096, true)), S.ERR_LAYOUT_METADATA_SMALL],
    // Each bank holds the root, boot, session, both manifests and both user manifests at their
    // largest (about 6.2 KiB): two 4 KiB sectors are too small, four (two 8 KiB banks) suffice.
    ["a metadata partition of two 4 KiB sectors (4 KiB banks)", mutate((v) => v.setUint32(metaAt + 4, 2 * 4096, true)), S.ERR_LAYOUT_METADATA_SMALL],
    ["a metadata partition of exactly four 4 KiB sectors", mutate((v) => v.setUint32(metaAt + 4, 4 * 4096, true)), S.OK],
  ];

  for (const [what, bytes, code] of cases) {
    it(`${code === S.OK ? "accepts" : "refuses"} ${what}`, async () => {
      const flash = new NorFlash(board.flash);
      const agent = await instantiateAgent(flash);
      agent.io().set(bytes.subarray(0, IO_WINDOW_BYTES));
      expect(statusName(agent.exports.configure(bytes.length))).toBe(statusName(code));
      if (code !== S.OK) expect(agent.exports.boot()).toBe(S.ERR_NOT_CONFIGURED);
      expect(agent.memory.buffer.byteLength).toBe(65536);
    });
  }

  it("never traps on random or mutated descriptors", async () => {
    let seed = 4242;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const bytes = i % 2 === 0
        ? good.map((b) => (rand() < 0.05 ? Math.floor(rand() * 256) : b))
        : new Uint8Array(Math.floor(rand() * 200)).map(() => Math.floor(rand() * 256));
      const agent = await instantiateAgent(new NorFlash(board.flash));
      agent.io().set(bytes);
      const rc = agent.exports.configure(bytes.length);
      expect(knownCode(rc)).toBe(true);
      // Configured or not, the calls after it answer with a code, never a trap.
      expect(knownCode(agent.exports.boot())).toBe(true);
      expect(knownCode(agent.exports.update_start())).toBe(true);
      expect(agent.memory.buffer.byteLength).toBe(65536);
    }
  });

  it("refuses a length beyond the I/O window without reading it", async () => {
    const agent = await instantiateAgent(new NorFlash(board.flash));
    expect(agent.exports.configure(IO_WINDOW_BYTES + 1)).toBe(S.ERR_IO_RANGE);
    expect(agent.exports.configure(0xffffffff)).toBe(S.ERR_IO_RANGE);
  });
});

describe("ABI order and provisioning", () => {
  it("refuses update calls before boot, boot before provisioning, and a second provisioning", async () => {
    const d = newDevice();
    await expect(d.device.powerOn()).rejects.toThrow(/ERR_NOT_PROVISIONED/);
    const x = d.device.instance.exports;
    expect(x.update_start()).toBe(S.ERR_NOT_BOOTED);
    expect(x.update_status()).toBe(S.ERR_NOT_BOOTED);
    expect(x.confirm()).toBe(S.ERR_NOT_BOOTED);
    await d.device.provision(rootV1, { app: v1 });
    await expect(d.device.provision(makeRoot({ rootKeys: [devRoot], targetsKeys: [devTargets], version: 9 }), {})).rejects.toThrow(/ERR_ALREADY_PROVISIONED/);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ rootVersion: 1, slot: "a" });
    expect(runningImageHash(d, info)).toBe(sha256Hex(v1));
    // The layout is fixed once booted.
    const layout = encodeLayout(board);
    d.device.instance.io().set(layout);
    expect(d.device.instance.exports.configure(layout.length)).toBe(S.ERR_ALREADY_BOOTED);
  });

  it("refuses a factory root that does not meet its own threshold, and leaves the device unprovisioned", async () => {
    const d = newDevice();
    const unsigned = makeRoot({ rootKeys: [devRoot], targetsKeys: [devTargets], version: 1, signers: [keyFromLabel("x")] });
    await expect(d.device.provision(unsigned, { app: v1 })).rejects.toThrow(/ERR_ROOT_NOT_SELF_SIGNED/);
    await expect(d.device.powerOn()).rejects.toThrow(/ERR_NOT_PROVISIONED/);
    // The same device can still be provisioned properly afterwards (images are rewritten).
    expect((await d.device.provision(rootV1, { app: v2 })).images.app).toBe(sha256Hex(v2));
  });

  it("records declared factory images as given (a device known only by its manifest)", async () => {
    const d = newDevice();
    const sha = new Uint8Array(32).fill(7);
    const info = await d.device.provision(rootV1, {}, { targetsVersion: 4, declared: { app: { length: 1234, sha256: sha } } });
    expect(info).toMatchObject({ targetsVersion: 4, images: { app: "07".repeat(32) }, lengths: { app: 1234 } });
  });

  it("never traps on random provisioning requests and image chunks", async () => {
    let seed = 777;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const d = newDevice();
    const a = await instantiateAgent(d.flash);
    const layout = encodeLayout(board);
    a.io().set(layout);
    expect(a.exports.configure(layout.length)).toBe(S.OK);
    for (let i = 0; i < 300; i++) {
      const io = a.io();
      for (let j = 0; j < 256; j++) io[j] = Math.floor(rand() * 256);
      const rc = i % 3 === 0
        ? a.exports.provision_image(Math.floor(rand() * 6), Math.floor(rand() * 8192), Math.floor(rand() * 5000))
        : a.exports.provision(Math.floor(rand() * 300));
      expect(knownCode(rc)).toBe(true);
      expect(a.memory.buffer.byteLength).toBe(65536);
    }
  });

  it("refuses malformed provisioning requests", async () => {
    const d = newDevice();
    await expect(d.device.powerOn()).rejects.toThrow();
    const a = await instantiateAgent(d.flash);
    const layout = encodeLayout(board);
    a.io().set(layout);
    expect(a.exports.configure(layout.length)).toBe(S.OK);
    const io = a.io();
    const view = new DataView(io.buffer, io.byteOffset, io.byteLength);
    io.fill(0, 0, 64);
    expect(a.exports.provision(4)).toBe(S.ERR_PROVISION_REQUEST);
    view.setUint32(0, 4000, true);
    expect(a.exports.provision(12 + 4000)).toBe(S.ERR_ROOT_TOO_LARGE);
    view.setUint32(0, 10, true);
    expect(a.exports.provision(30)).toBe(S.ERR_PROVISION_REQUEST);
    expect(a.exports.provision(5000)).toBe(S.ERR_IO_RANGE);
    expect(a.exports.provision_image(7, 0, 10)).toBe(S.ERR_TARGET_UNKNOWN);
    expect(a.exports.provision_image(0, 5, 10)).toBe(S.ERR_TRANSFER_OFFSET);
    expect(a.memory.buffer.byteLength).toBe(65536);
  });
});

describe("malformed bundles", () => {
  async function factory(): Promise<TestDevice> {
    const d = newDevice();
    await d.device.provision(rootV1, { app: v1 });
    return d;
  }

  /** Runs the bundle; it must be refused with a known code and the device must be unchanged. */
  function refuse(d: TestDevice, b: Uint8Array): string {
    const outcome = d.device.update(b);
    expect(outcome.ok).toBe(false);
    expect(knownCode(outcome.error)).toBe(true);
    expect(outcome.error).toBeLessThan(0);
    expect(d.device.memoryBytes()).toBe(65536);
    return outcome.errorName;
  }

  it("refuses the bundle truncated at every byte of its metadata", async () => {
    const d = await factory();
    const good = goodBundle(2, { app: v2 }, [devTargets]);
    const metadataEnd = good.length - v2.length; // payload bytes come last
    const names = new Set<string>();
    for (let cut = 1; cut < metadataEnd + 8; cut++) names.add(refuse(d, good.subarray(0, cut)));
    expect(names.has("ERR_PROTO_TRUNCATED")).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "a", targetsVersion: 0 });
    expect(runningImageHash(d, info)).toBe(sha256Hex(v1));
    expect(d.device.update(good).ok).toBe(true);
  });

  it("never accepts a bit-flipped bundle whose payload differs from the signed one", async () => {
    const d = await factory();
    const good = goodBundle(2, { app: v2 }, [devTargets]);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 200; i++) {
      const b = good.slice();
      const flips = 1 + Math.floor(rand() * 3);
      for (let f = 0; f < flips; f++) {
        const at = rand() < 0.8 ? Math.floor(rand() * (good.length - v2.length + 16)) : Math.floor(rand() * good.length);
        b[at] ^= 1 << Math.floor(rand() * 8);
      }
      const outcome = d.device.update(b);
      expect(d.device.memoryBytes()).toBe(65536);
      if (outcome.ok) {
        const info = await d.device.powerOn();
        expect(runningImageHash(d, info)).toBe(sha256Hex(v2));
        d.device.confirm();
        // Back to v1 so the next case starts from the factory state again.
        const back = await d.device.powerOn();
        expect(back.slot).toBe("b");
        await d.device.powerOn();
      } else {
        expect(knownCode(outcome.error)).toBe(true);
      }
    }
  });

  it("refuses random bytes, varints past the end, lengths far beyond the bundle, and groups", async () => {
    const d = await factory();
    let seed = 99;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 50; i++) {
      const b = new Uint8Array(1 + Math.floor(rand() * 600)).map(() => Math.floor(rand() * 256));
      refuse(d, b);
    }
    // Refused while streaming (the transfer gate) ...
    expect(refuse(d, Uint8Array.of(0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f))).toBe("ERR_BUNDLE_TOO_LARGE");
    expect(refuse(d, concat(varint(0x1a), Uint8Array.from(new Array(11).fill(0xff))))).toBe("ERR_PROTO_VARINT");
    expect(refuse(d, Uint8Array.of(0x1b, 0x1c))).toBe("ERR_BUNDLE_FORMAT");
    expect(refuse(d, Uint8Array.of(0x02, 0x00))).toBe("ERR_BUNDLE_FORMAT");
    expect(refuse(d, field(9, "unknown only"))).toBe("ERR_BUNDLE_FORMAT");
    expect(refuse(d, concat(...new Array(70).fill(field(3, ""))))).toBe("ERR_BUNDLE_FORMAT");
    // ... or by the strict parser once staged.
    expect(refuse(d, Uint8Array.of(0x1a, 0x64, 0x0a, 0x07))).toBe("ERR_PROTO_TRUNCATED");
    expect(refuse(d, concat(field(3, concat(field(1, "targets"), Uint8Array.of(0x13)))))).toBe("ERR_PROTO_WIRE_TYPE");
    expect(refuse(d, concat(field(3, concat(Uint8Array.of(0x02, 0x00)))))).toBe("ERR_PROTO_FIELD_NUMBER");
    expect(refuse(d, field(3, ""))).toBe("ERR_BUNDLE_FORMAT");
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "a", targetsVersion: 0 });
    expect(d.device.status().state).toBe(STATE.FINISHED);
  });
});
