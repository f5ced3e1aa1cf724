// `npm run bench` (release client): `airlock sim fetch` of a 1 MiB bundle from `release serve`'s
// server — index fetch and verification, download checked for size and SHA-256, then the install
// on the simulated rp2040 (stage, verify, apply, reboot) — against a plain HTTP GET of the same
// object from the same server in the same run. Time ratios per round (median of ROUNDS), and the
// bytes each moves over HTTP.
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureIo, main } from "../tools/cli/index.js";
import { ReleaseRepository, downloadRelease, serveRelease } from "../tools/release/index.js";
import { firmware } from "../test/helpers/e2e-world.js";
import { describeMachine } from "./machine.js";
import { median } from "./measure.js";

const ROUNDS = Number(process.env.BENCH_RELEASE_ROUNDS ?? 5);
const BUNDLE_IMAGE_BYTES = 1 << 20;

async function airlock(...args: string[]): Promise<string> {
  const io = captureIo();
  const code = await main(args, io);
  if (code !== 0) throw new Error(`airlock ${args.join(" ")} exited ${code}: ${io.stderr()}`);
  return io.stdout();
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await run();
  return { ms: performance.now() - t0, value };
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-release-"));
  const at = (name: string) => join(dir, name);
  try {
    for (const key of ["root", "targets", "release"]) await airlock("keygen", at(key));
    await airlock("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"));
    await airlock("root", "sign", "--key", at("root"), at("root.bin"));
    writeFileSync(at("v1.bin"), firmware("bench v1", 16_384));
    writeFileSync(at("v2.bin"), firmware("bench v2", BUNDLE_IMAGE_BYTES));
    // rp2040: its 2 MiB slots take a 1 MiB image (nrf52840's 288 KiB would not).
    await airlock("sim", "init", "--flash", at("factory.flash"), "--board", "rp2040", "--root", at("root.bin"), `app=${at("v1.bin")}`);
    await airlock("bundle", "create", "-o", at("v2.bundle"), "--targets-version", "2", "--hardware", "raspberrypi,rp2040", `app=${at("v2.bin")}`);
    await airlock("bundle", "sign", "--key", at("targets"), at("v2.bundle"));
    await airlock("release", "publish", "--repo", at("repo"), "--channel", "internal", "--key", at("release"), "--product", "bench", at("v2.bundle"));
    const repository = new ReleaseRepository(at("repo"));
    const release = repository.readIndex("internal")!.index.releases[0]!;
    const indexBytes = statSync(repository.indexFile("internal")).size;
    const server = await serveRelease(repository, { host: "127.0.0.1", port: 0 });
    const objectUrl = `${server.url}/objects/sha256/${release.bundle.sha256}`;

    const plain: number[] = [];
    const download: number[] = [];
    const fetchTotal: number[] = [];
    let plainBytes = 0;
    let fetchBytes = 0;
    let flashOps = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which goes first, so neither always meets a warm (or cold) server.
        const plainGet = async () => {
          const p = await timed(async () => new Uint8Array(await (await fetch(objectUrl)).arrayBuffer()));
          plain.push(p.ms);
          plainBytes = p.value.length;
        };
        const clientGet = async () => download.push((await timed(() => downloadRelease(server.url, release))).ms);
        if (round % 2 === 0) await plainGet().then(clientGet);
        else await clientGet().then(plainGet);
        // A factory-fresh device each round, with no last-seen index version.
        copyFileSync(at("factory.flash"), at("device.flash"));
        rmSync(at("device.flash.release-state.json"), { force: true });
        const f = await timed(() => airlock("sim", "fetch", "--flash", at("device.flash"), "--from", server.url, "--channel", "internal", "--release-key", at("release.pub"), "--json"));
        fetchTotal.push(f.ms);
        const report = JSON.parse(f.value) as { result: string; flashOps: number; download: { bytesReceived: number } };
        if (report.result !== "SUCCESS") throw new Error(`sim fetch: ${f.value}`);
        fetchBytes = indexBytes + report.download.bytesReceived;
        flashOps = report.flashOps;
      }
    } finally {
      await server.close();
    }
    const m = describeMachine();
    const ratio = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
    console.log(`release fetch: a ${(release.bundle.size / 1048576).toFixed(2)} MiB bundle from airlock release serve on 127.0.0.1 (${m.cpu}, ${m.cores} cores, Node ${m.node.split(" ")[0]}; median of ${ROUNDS} rounds)`);
    console.log(`  plain HTTP GET of the object        ${median(plain).toFixed(1).padStart(8)} ms  ${plainBytes} bytes`);
    console.log(`  client download (size + SHA-256)    ${median(download).toFixed(1).padStart(8)} ms  ratio ${ratio(download, plain).toFixed(2)} x plain`);
    console.log(`  sim fetch (index, download, install) ${median(fetchTotal).toFixed(1).padStart(7)} ms  ratio ${ratio(fetchTotal, plain).toFixed(1)} x plain  ${fetchBytes} bytes over HTTP (${(fetchBytes / plainBytes).toFixed(4)} x), ${flashOps} flash operations`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await run();
