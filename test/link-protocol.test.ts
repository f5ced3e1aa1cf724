// Issue 11, each protocol layer against its definition: pw_hdlc framing (Pigweed's own encoder
// expectations), pw_rpc packets and IDs (packet.proto, the 65599 hash from the names), pw_transfer
// v2 chunks (transfer.proto) and BundledUpdate (bundled_update.proto), as the device answers
// them. The device is build/agent-link.wasm; frames are built and read with the host stack.
import { describe, expect, it, beforeEach } from "vitest";
import { loadBoard, LinkedDevice } from "../host-sim/index.js";
import {
  HdlcDecoder, encodeUiFrame, crc32, crc32Table, pwRpcHash, wireSchema, encode, decode, RPC_ADDRESS, Status,
} from "../tools/link/index.js";
import type { Chunk } from "../tools/link/index.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture } from "./helpers/device.js";
import { LINK_BUNDLE_RESOURCE_ID, LINK_MAX_CHUNK_BYTES, LINK_WINDOW_BYTES } from "../assembly/limits.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const fcs = (data: Uint8Array) => {
  const c = crc32(data);
  return [c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24];
};

describe("pw_hdlc framing (expectations from pw_hdlc/py/encode_test.py)", () => {
  it("CRC-32 is the IEEE check value and zlib agrees with the table", () => {
    expect(crc32(bytes("123456789"))).toBe(0xcbf43926);
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(crc32(random)).toBe(crc32Table(random));
  });

  it("encodes UI frames byte for byte as Pigweed's encoder", () => {
    const flag = [0x7e];
    expect([...encodeUiFrame(0, new Uint8Array())]).toEqual([...flag, 0x01, 0x03, ...fcs(Uint8Array.of(0x01, 0x03)), ...flag]);
    expect([...encodeUiFrame(0x1a, new Uint8Array())]).toEqual([...flag, 0x35, 0x03, ...fcs(Uint8Array.of(0x35, 0x03)), ...flag]);
    expect([...encodeUiFrame(0, bytes("123456789"))]).toEqual([...flag, 0x01, 0x03, ...bytes("123456789"), ...fcs(Uint8Array.of(0x01, 0x03, ...bytes("123456789"))), ...flag]);
    expect([...encodeUiFrame(128, bytes("123456789"))]).toEqual([...flag, 0x00, 0x03, 0x03, ...bytes("123456789"), ...fcs(Uint8Array.of(0x00, 0x03, 0x03, ...bytes("123456789"))), ...flag]);
    // Escapes: 0x7D and 0x7E in address, payload (and FCS) go out as 0x7D, byte ^ 0x20.
    const body = Uint8Array.of(0x7d, 0x03, 0x41, 0x7e, 0x7d, 0x42, 0x43);
    const expectedFcs = fcs(body).flatMap((b) => (b === 0x7d || b === 0x7e ? [0x7d, b ^ 0x20] : [b]));
    expect([...encodeUiFrame(0x3e, Uint8Array.of(0x41, 0x7e, 0x7d, 0x42, 0x43))]).toEqual([
      ...flag, 0x7d, 0x5d, 0x03, 0x41, 0x7d, 0x5e, 0x7d, 0x5d, 0x42, 0x43, ...expectedFcs, ...flag,
    ]);
  });

  it("decodes its own frames out of noise, counting what it drops", () => {
    const decoder = new HdlcDecoder();
    const good = encodeUiFrame(RPC_ADDRESS, bytes("hello"));
    const corrupt = good.slice();
    corrupt[4] ^= 0x01;
    const long = encodeUiFrame(RPC_ADDRESS, new Uint8Array(2000));
    const frames = decoder.push(Uint8Array.of(0x11, 0x22, ...good, ...corrupt, ...long, 0x7e, 0x7d, 0x7e, ...good));
    expect(frames.map((f) => [f.address, f.control, Buffer.from(f.payload).toString()])).toEqual([[82, 3, "hello"], [82, 3, "hello"]]);
    expect(decoder.stats).toMatchObject({ frames: 2, badFcs: 1, tooLong: 1, tooShort: 1, outsideBytes: 2 });
  });
});

describe("pw_rpc IDs", () => {
  it("match the vectors of Pigweed's pw_rpc/py/tests/ids_test.py", () => {
    const vectors: [number, string][] = [
      [0x00000000, ""],
      [0x00000001, "\0"],
      [0x00010040, "\x01"],
      [0x003f0f82, "?"],
      [0xd3556087, "\0\0\0\x01\x01\x01\x01"],
      [0x63d43d8c, "Pigweed?"],
      [0x79ab6494, "Pigweed!Pigweed!Pigweed!Pigweed!Pigweed!Pigweed!"],
    ];
    for (const [id, name] of vectors) expect(pwRpcHash(name), JSON.stringify(name)).toBe(id);
  });

  it("are Pigweed's 65599 hash of the names (pw_rpc/ids.py, evaluated here with BigInt)", () => {
    const python = (name: string) => {
      let hash = BigInt(name.length);
      let coefficient = 65599n;
      for (const char of name) {
        hash = (hash + coefficient * BigInt(char.codePointAt(0)!)) % 2n ** 32n;
        coefficient = (coefficient * 65599n) % 2n ** 32n;
      }
      return Number(hash);
    };
    for (const name of ["pw.software_update.BundledUpdate", "pw.transfer.Transfer", "GetStatus", "Start", "SetTransferred", "Verify", "Apply", "Abort", "Reset", "Read", "Write", "GetResourceStatus"]) {
      expect(pwRpcHash(name), name).toBe(python(name));
    }
  });
});

/** A device on a bench: frames in, frames out, synchronously. */
async function bench() {
  const board = loadBoard("nrf52840");
  const c = cast();
  const flash = await manufacture(board, c.rootV1, { app: new Uint8Array(4000).fill(1) });
  const out: Uint8Array[] = [];
  const device = new LinkedDevice(flash, board, (frame) => out.push(frame));
  await device.powerOn();
  const decoder = new HdlcDecoder();
  const s = wireSchema();
  type Packet = { type?: number; channel_id?: number; service_id?: number; method_id?: number; payload?: Uint8Array; status?: number; call_id?: number };
  const exchange = (packet: Packet): Packet[] => {
    out.length = 0;
    device.receive(encodeUiFrame(RPC_ADDRESS, encode(s.RpcPacket, packet as Record<string, unknown>)));
    return out.flatMap((frame) => decoder.push(frame)).map((f) => decode<Packet>(s.RpcPacket, f.payload));
  };
  const ids = (service: string, method: string, callId: number) => ({ channel_id: 1, service_id: pwRpcHash(service), method_id: pwRpcHash(method), call_id: callId });
  const unary = (method: string, request: Uint8Array, callId = 7) => exchange({ type: s.PacketType.REQUEST, ...ids("pw.software_update.BundledUpdate", method, callId), payload: request });
  const status = (p: Packet) => decode<{ state?: number; result?: number; transfer_id?: number; bundle_filename?: string; note?: Uint8Array }>(s.BundledUpdateStatus, p.payload ?? new Uint8Array());
  const writeIds = ids("pw.transfer.Transfer", "Write", 99);
  const chunk = (c: Chunk) => exchange({ type: s.PacketType.CLIENT_STREAM, ...writeIds, payload: encode(s.Chunk, c as Record<string, unknown>) })
    .map((p) => ({ packet: p, chunk: decode<Chunk>(s.Chunk, p.payload ?? new Uint8Array()) }));
  return { device, s, exchange, ids, unary, status, chunk, writeIds, flash, board, c, out };
}

describe("the device's pw_rpc server", () => {
  let b: Awaited<ReturnType<typeof bench>>;
  beforeEach(async () => {
    b = await bench();
  });

  it("answers GetStatus with a RESPONSE echoing channel, service, method and call ID", () => {
    const [reply, ...more] = b.unary("GetStatus", new Uint8Array(), 4242);
    expect(more).toEqual([]);
    expect(reply).toMatchObject({ type: b.s.PacketType.RESPONSE, ...b.ids("pw.software_update.BundledUpdate", "GetStatus", 4242) });
    expect(reply!.status ?? 0).toBe(Status.OK);
    expect(b.status(reply!)).toMatchObject({ state: b.s.State.INACTIVE });
  });

  it("answers an unknown service or method with SERVER_ERROR NOT_FOUND, and drops other channels", () => {
    const [noService] = b.exchange({ type: b.s.PacketType.REQUEST, ...b.ids("pw.no.Such", "GetStatus", 1) });
    expect(noService).toMatchObject({ type: b.s.PacketType.SERVER_ERROR, status: Status.NOT_FOUND, call_id: 1 });
    const [noMethod] = b.unary("Explode", new Uint8Array(), 2);
    expect(noMethod).toMatchObject({ type: b.s.PacketType.SERVER_ERROR, status: Status.NOT_FOUND, call_id: 2 });
    expect(b.exchange({ type: b.s.PacketType.REQUEST, ...b.ids("pw.software_update.BundledUpdate", "GetStatus", 3), channel_id: 2 })).toEqual([]);
    expect(b.device.counters().unknownCall).toBe(1);
  });

  it("drops frames with a bad FCS, for other addresses, and packets that do not decode, answering none", () => {
    const frame = encodeUiFrame(RPC_ADDRESS, encode(b.s.RpcPacket, { type: 0, ...b.ids("pw.software_update.BundledUpdate", "GetStatus", 5) }));
    const bad = frame.slice();
    bad[3] ^= 0x10;
    b.out.length = 0;
    b.device.receive(bad);
    b.device.receive(encodeUiFrame(1, frame.subarray(1, -1)));
    b.device.receive(encodeUiFrame(RPC_ADDRESS, Uint8Array.of(0x0a, 0xff)));
    expect(b.out).toEqual([]);
    expect(b.device.counters()).toMatchObject({ badFcs: 1, otherAddress: 1, badPacket: 1 });
  });
});

describe("BundledUpdate and pw_transfer v2 on the device", () => {
  let b: Awaited<ReturnType<typeof bench>>;
  beforeEach(async () => {
    b = await bench();
  });

  it("Start reports TRANSFERRING with the transfer ID and the name; a second Start is refused and changes nothing", () => {
    const start = b.status(b.unary("Start", encode(b.s.StartRequest, { bundle_filename: "v2.bundle" }))[0]!);
    expect(start).toMatchObject({ state: b.s.State.TRANSFERRING, transfer_id: LINK_BUNDLE_RESOURCE_ID, bundle_filename: "v2.bundle" });
    const [again] = b.unary("Start", encode(b.s.StartRequest, { bundle_filename: "other.bundle" }));
    expect(again!.status).toBe(Status.FAILED_PRECONDITION);
    expect(b.status(again!)).toMatchObject({ state: b.s.State.TRANSFERRING, bundle_filename: "v2.bundle" });
    expect(Buffer.from(b.status(again!).note ?? []).toString()).toMatch(/^airlock error -\d+$/);
  });

  it("runs the v2 handshake, grants a window, asks again after a gap and resumes at its own offset", () => {
    b.unary("Start", encode(b.s.StartRequest, { bundle_filename: "x" }));
    const T = b.s.ChunkType;
    b.exchange({ type: b.s.PacketType.REQUEST, ...b.writeIds });
    const [ack] = b.chunk({ type: T.START, resource_id: LINK_BUNDLE_RESOURCE_ID, desired_session_id: 77, protocol_version: 2 });
    expect(ack!.packet).toMatchObject({ type: b.s.PacketType.SERVER_STREAM, call_id: 99 });
    expect(ack!.chunk).toMatchObject({ type: T.START_ACK, session_id: 77, resource_id: LINK_BUNDLE_RESOURCE_ID, protocol_version: 2 });
    const [params] = b.chunk({ type: T.START_ACK_CONFIRMATION, session_id: 77, protocol_version: 2 });
    expect(params!.chunk).toMatchObject({ type: T.PARAMETERS_RETRANSMIT, session_id: 77, window_end_offset: LINK_WINDOW_BYTES, max_chunk_size_bytes: LINK_MAX_CHUNK_BYTES });
    expect(params!.chunk.offset ?? 0).toBe(0);
    // A real bundle's prefix: the transfer gate refuses bytes that are not a bundle's metadata.
    const data = makeBundle({ targetsVersion: 2, payloads: { app: new Uint8Array(20_000).fill(2) }, signers: [b.c.devTargets] });
    expect(b.chunk({ type: T.DATA, session_id: 77, offset: 0, data: data.subarray(0, 100) })).toEqual([]);
    // A gap: one retransmit at the device's offset, then silence for the rest of that window.
    const [retransmit] = b.chunk({ type: T.DATA, session_id: 77, offset: 300, data: data.subarray(300, 400) });
    expect(retransmit!.chunk).toMatchObject({ type: T.PARAMETERS_RETRANSMIT, offset: 100 });
    expect(b.chunk({ type: T.DATA, session_id: 77, offset: 400, data: data.subarray(400, 500) })).toEqual([]);
    // The client rewinds and repeats: asked once more.
    expect(b.chunk({ type: T.DATA, session_id: 77, offset: 300, data: data.subarray(300, 400) })[0]!.chunk).toMatchObject({ type: T.PARAMETERS_RETRANSMIT, offset: 100 });
    // A new session that asks to resume at the wrong offset is denied (0) and told the device's offset.
    const [ack2] = b.chunk({ type: T.START, resource_id: LINK_BUNDLE_RESOURCE_ID, desired_session_id: 78, protocol_version: 2, initial_offset: 5000 });
    expect(ack2!.chunk.initial_offset ?? 0).toBe(0);
    const [params2] = b.chunk({ type: T.START_ACK_CONFIRMATION, session_id: 78, protocol_version: 2 });
    expect(params2!.chunk).toMatchObject({ type: T.PARAMETERS_RETRANSMIT, offset: 100, window_end_offset: 100 + LINK_WINDOW_BYTES });
    // The old session is gone: its chunks are told so.
    expect(b.chunk({ type: T.DATA, session_id: 77, offset: 100, data: data.subarray(100, 200) })[0]!.chunk).toMatchObject({ type: T.COMPLETION, status: Status.FAILED_PRECONDITION });
    // GetResourceStatus says how much the device holds; Read of the bundle is refused.
    const [resource] = b.exchange({ type: b.s.PacketType.REQUEST, ...b.ids("pw.transfer.Transfer", "GetResourceStatus", 5), payload: encode(b.s.ResourceStatusRequest, { resource_id: LINK_BUNDLE_RESOURCE_ID }) });
    expect(decode<{ writeable_offset?: number }>(b.s.ResourceStatus, resource!.payload!).writeable_offset).toBe(100);
    const [read] = b.exchange({ type: b.s.PacketType.REQUEST, ...b.ids("pw.transfer.Transfer", "Read", 6), payload: encode(b.s.Chunk, { type: T.START, resource_id: LINK_BUNDLE_RESOURCE_ID, desired_session_id: 9, protocol_version: 2 }) });
    expect(decode<Chunk>(b.s.Chunk, read!.payload!)).toMatchObject({ type: T.COMPLETION, status: Status.UNIMPLEMENTED });
  });

  it("refuses a START before Start() and for another resource, and a version 1 client", () => {
    const T = b.s.ChunkType;
    b.exchange({ type: b.s.PacketType.REQUEST, ...b.writeIds });
    expect(b.chunk({ type: T.START, resource_id: LINK_BUNDLE_RESOURCE_ID, desired_session_id: 5, protocol_version: 2 })[0]!.chunk).toMatchObject({ type: T.COMPLETION, status: Status.FAILED_PRECONDITION, session_id: 5 });
    b.unary("Start", encode(b.s.StartRequest, {}));
    expect(b.chunk({ type: T.START, resource_id: 42, desired_session_id: 6, protocol_version: 2 })[0]!.chunk).toMatchObject({ type: T.COMPLETION, status: Status.NOT_FOUND });
    expect(b.chunk({ type: T.START, resource_id: LINK_BUNDLE_RESOURCE_ID, transfer_id: LINK_BUNDLE_RESOURCE_ID })[0]!.chunk).toMatchObject({ type: T.COMPLETION, status: Status.UNIMPLEMENTED });
  });
});
