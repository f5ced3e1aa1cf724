// `npm run bench` (second part): the wire, against references measured in the same run.
//
//   wire efficiency        bundle bytes ÷ bytes on the wire, both directions      aim >= 0.95
//   256 KiB at 115200 baud, 10 ms latency (a virtual-time link model: time is counted, not slept)
//                          update time ÷ the bundle's bytes at line rate         aim <= 1.15
//   loopback TCP           `send` to `sim serve` ÷ a raw socket copy of the same bytes (throughput)
import { createServer, connect } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBoard, serveDevice } from "../host-sim/index.js";
import { encodeDevice } from "../host-sim/device-file.js";
import { sendBundle, connectTcp } from "../tools/link/index.js";
import { cast, makeBundle } from "../test/helpers/fixtures.js";
import { manufacture } from "../test/helpers/device.js";
import { LinkRig } from "../test/helpers/link-rig.js";
import { median } from "./measure.js";

const KIB = 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function line(label: string, value: string, note = "") {
  console.log(`  ${label.padEnd(52)} ${value.padStart(14)}  ${note}`);
}

/** A bundle of about `bytes` bytes (one app payload of pseudo-random bytes, like firmware). */
function bundleOf(bytes: number) {
  const c = cast();
  let x = 12345;
  const app = Uint8Array.from({ length: bytes - 700 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24));
  return { c, bundle: makeBundle({ targetsVersion: 2, payloads: { app }, signers: [c.devTargets] }) };
}

async function virtualLink(board: ReturnType<typeof loadBoard>): Promise<void> {
  const { c, bundle } = bundleOf(256 * KIB);
  const flash = await manufacture(board, c.rootV1, { app: new Uint8Array(4096).fill(1) });
  const baud = 115200;
  const rig = new LinkRig({ board, flash, baud, latencyMs: 10, pollBudget: 64 * KIB });
  await rig.start();
  let transferEnd = 0;
  const report = await rig.run(sendBundle({
    connect: rig.connect, bundle, filename: "bench.bundle", clock: rig.clock,
    onProgress: (phase) => {
      if (phase !== "transfer" && transferEnd === 0) transferEnd = rig.clock.now();
    },
  }));
  rig.stop();
  if (report.result !== "SUCCESS") throw new Error(`the benchmark update failed: ${report.result}`);
  const lineRateMs = (bundle.length * 10 * 1000) / baud;
  const wire = rig.wire.toDevice + rig.wire.toHost;
  console.log(`Wire (virtual-time model: ${baud} baud, 10 ms latency, ${(bundle.length / KIB).toFixed(0)} KiB bundle, device work in 64 KiB poll budgets)`);
  line("bundle bytes", bundle.length.toLocaleString("en-US"));
  line("bytes on the wire host -> device / device -> host", `${rig.wire.toDevice.toLocaleString("en-US")} / ${rig.wire.toHost.toLocaleString("en-US")}`);
  const efficiency = bundle.length / wire;
  line("wire efficiency: bundle ÷ wire bytes (both directions)", efficiency.toFixed(3), efficiency >= 0.95 ? "meets aim >= 0.95" : "BELOW AIM 0.95");
  line("bundle at line rate", `${(lineRateMs / 1000).toFixed(2)} s`);
  line("transfer (Start to COMPLETION)", `${(transferEnd / 1000).toFixed(2)} s`, `${(transferEnd / lineRateMs).toFixed(3)} x line rate`);
  const total = report.durationMs;
  const ratio = total / lineRateMs;
  line("whole update (GetStatus .. device back after reboot)", `${(total / 1000).toFixed(2)} s`, `${ratio.toFixed(3)} x line rate: ${ratio <= 1.15 ? "meets aim <= 1.15" : "ABOVE AIM 1.15"}`);
}

/** Seconds to copy `bytes` through a loopback socket to a reader that acknowledges the end. */
async function rawCopySeconds(bytes: Uint8Array): Promise<number> {
  const server = createServer((socket) => {
    let got = 0;
    socket.on("data", (b: Buffer) => {
      got += b.length;
      if (got >= bytes.length) socket.end(Buffer.of(1));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(bytes));
    socket.on("data", () => {
      socket.destroy();
      resolve();
    });
    socket.on("error", reject);
  });
  const seconds = (performance.now() - started) / 1000;
  await new Promise<void>((r) => server.close(() => r()));
  return seconds;
}

async function loopbackTcp(board: ReturnType<typeof loadBoard>): Promise<void> {
  const { c, bundle } = bundleOf(256 * KIB);
  const factory = await manufacture(board, c.rootV1, { app: new Uint8Array(4096).fill(1) });
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-wire-"));
  const sendRates: number[] = [];
  const rawRates: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const flash = join(dir, `dev${round}.flash`);
      writeFileSync(flash, encodeDevice({ board, flash: factory.clone(), counters: {} }));
      const handle = await serveDevice({ flash, host: "127.0.0.1", port: 0 });
      let start = 0;
      let end = 0;
      await sendBundle({
        connect: () => connectTcp("127.0.0.1", handle.address.port),
        bundle,
        filename: "bench.bundle",
        onProgress: (phase) => {
          if (phase === "transfer" && start === 0) start = performance.now();
          if (phase !== "transfer" && end === 0) end = performance.now();
        },
      });
      await handle.close();
      sendRates.push(bundle.length / ((end - start) / 1000));
      rawRates.push(bundle.length / (await rawCopySeconds(bundle)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ours = median(sendRates);
  const raw = median(rawRates);
  console.log(`\nLoopback TCP (${(bundle.length / KIB).toFixed(0)} KiB; median of ${ROUNDS} rounds)`);
  line("send -> sim serve: transfer throughput", `${(ours / 1e6).toFixed(2)} MB/s`, "(the device stages every byte in its simulated flash)");
  line("raw socket copy of the same bytes", `${(raw / 1e6).toFixed(1)} MB/s`);
  line("send ÷ raw copy", (ours / raw).toFixed(3));
}

async function main(): Promise<void> {
  const board = loadBoard("nrf52840");
  await virtualLink(board);
  await loopbackTcp(board);
}

main().catch((err: unknown) => {
  console.error(`wire benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
