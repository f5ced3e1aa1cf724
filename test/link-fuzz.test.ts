// Issue 11, the link layer fuzzed like the bundle parser: random bytes, valid frames with random
// bits flipped, frames with random RPC packets, and well-formed packets carrying random chunk
// and request payloads, fed to build/agent-link.wasm in random pieces. A trap would throw a
// WebAssembly.RuntimeError here (a crashed device); the device must never trap, never write
// outside its memory page, and must still answer GetStatus correctly afterwards.
// AIRLOCK_FUZZ_RUNS scales the number of inputs (npm run fuzz).
import { describe, expect, it } from "vitest";
import { loadBoard, LinkedDevice } from "../host-sim/index.js";
import { HdlcDecoder, encodeUiFrame, pwRpcHash, wireSchema, encode, decode, RPC_ADDRESS } from "../tools/link/index.js";
import { cast } from "./helpers/fixtures.js";
import { manufacture } from "./helpers/device.js";
import { seededRandom as mulberry32 } from "../host-sim/flash.js";

const RUNS = Number(process.env.AIRLOCK_FUZZ_RUNS ?? 20000);


describe("link layer fuzz", () => {
  it(`never traps on ${RUNS} random inputs and still answers`, async () => {
    const board = loadBoard("nrf52840");
    const flash = await manufacture(board, cast().rootV1, { app: new Uint8Array(3000).fill(3) });
    const sent: Uint8Array[] = [];
    const device = new LinkedDevice(flash, board, (frame) => sent.push(frame));
    await device.powerOn();
    const s = wireSchema();
    const r = mulberry32(1234);
    const int = (n: number) => Math.floor(r() * n);
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    const services = ["pw.software_update.BundledUpdate", "pw.transfer.Transfer", "pw.other.Service"].map(pwRpcHash);
    const methods = ["GetStatus", "Start", "SetTransferred", "Verify", "Apply", "Abort", "Reset", "Write", "Read", "GetResourceStatus", "Nope"].map(pwRpcHash);
    const packet = (payload: Uint8Array) => encode(s.RpcPacket, {
      type: [0, 1, 2, 4, 5, 7, 8, 3, 6][int(9)], channel_id: r() < 0.9 ? 1 : int(4), service_id: services[int(3)], method_id: methods[int(11)],
      payload, call_id: int(5), ...(r() < 0.2 ? { status: int(20) } : {}),
    });
    const chunk = () => encode(s.Chunk, {
      type: int(9), session_id: int(4), resource_id: int(3), desired_session_id: int(4), protocol_version: int(4),
      offset: r() < 0.5 ? int(20000) : int(2 ** 31) * 4, data: randomBytes(int(1100)), remaining_bytes: int(3),
      window_end_offset: int(30000), max_chunk_size_bytes: int(2000), initial_offset: int(20000), status: int(17),
    });
    for (let run = 0; run < RUNS; run++) {
      const kind = int(5);
      let input: Uint8Array;
      if (kind === 0) input = randomBytes(1 + int(3000));
      else if (kind === 1) {
        const frame = encodeUiFrame(RPC_ADDRESS, packet(chunk()));
        for (let k = 0; k < 1 + int(4); k++) frame[int(frame.length)] ^= 1 << int(8);
        input = frame;
      } else if (kind === 2) input = encodeUiFrame(RPC_ADDRESS, randomBytes(int(1200)));
      else input = encodeUiFrame(r() < 0.9 ? RPC_ADDRESS : int(300), packet(r() < 0.7 ? chunk() : randomBytes(int(300))));
      // Random pieces, as a UART delivers them.
      for (let at = 0; at < input.length;) {
        const n = 1 + int(1500);
        device.receive(input.subarray(at, at + n));
        at += n;
      }
      if (run % 50 === 0) device.step(r() < 0.1 ? 20_000 : 5);
      expect(device.powered).toBe(true);
    }
    expect(device.memoryBytes()).toBe(65536);
    const counters = device.counters();
    console.log(`link fuzz: ${RUNS} inputs; counters ${JSON.stringify(counters)}`);
    expect(counters.badFcs + counters.tooShort + counters.tooLong + counters.badPacket).toBeGreaterThan(0);
    // Still a working device: a clean GetStatus gets its answer.
    sent.length = 0;
    device.receive(Uint8Array.of(0x7e)); // end whatever half frame the noise left
    device.receive(encodeUiFrame(RPC_ADDRESS, encode(s.RpcPacket, { type: 0, channel_id: 1, service_id: services[0], method_id: methods[0], call_id: 31337 })));
    const replies = sent.flatMap((f) => new HdlcDecoder().push(f)).map((f) => decode<{ type?: number; call_id?: number; payload?: Uint8Array }>(s.RpcPacket, f.payload));
    expect(replies.at(-1)).toMatchObject({ type: s.PacketType.RESPONSE, call_id: 31337 });
    const status = decode<{ state?: number }>(s.BundledUpdateStatus, replies.at(-1)!.payload!);
    expect(Object.values(s.State)).toContain(status.state);
  }, 300_000);
});
