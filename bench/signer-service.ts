// `npm run bench` (signing service): signatures per second through the whole service over HTTP
// (authentication, body checks, policy, SQLite transactions, fsynced audit entry, the signature)
// against signing the same targets metadata directly with node:crypto in the same run. Two paths:
// a test key (file) for an eng build, and a production key for endorsed user builds, where every
// request also verifies the provenance and re-runs the build's rules from the artifact store.
// With SoftHSM, the backend's own bench (bench/signer-backends.ts) gives the token's share.
import { sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSigningKey, parseBundle } from "../tools/format/index.js";
import { serveSigner, SignerClient } from "../tools/signer/index.js";
import { SignerWorld, type Build } from "../test/helpers/signer-world.js";
import { throughput } from "./throughput.js";

const REQUESTS = Number(process.env.BENCH_SIGNER_REQUESTS ?? 300);
const CONCURRENCY = 8;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-signer-"));
  const world = new SignerWorld(dir);
  try {
    await world.setUp();
    await world.start();
    const server = await serveSigner({ service: world.service, tokens: (await import("../tools/signer/index.js")).readTokenHashes(world.at("tokens.json")), maxBodyBytes: 1 << 20, host: "127.0.0.1", port: 0 });
    const client = (identity: string) => new SignerClient(server.url, world.tokens[identity]!);

    const eng = await world.build(1, "eng");
    const message = parseBundle(eng.bundle).targetsSerialized;
    const key = loadSigningKey(world.at("test-targets.pem"));
    const t0 = performance.now();
    for (let i = 0; i < REQUESTS * 10; i++) sign(null, message, key.privateKey);
    const direct = (REQUESTS * 10) / ((performance.now() - t0) / 1000);

    const ci = client("ci");
    const testKey = await throughput(REQUESTS, CONCURRENCY, async () => {
      const outcome = await ci.signTargets({ key: "test-targets", product: "thermostat", bundle: eng.bundle, provenance: eng.provenance });
      if (outcome.status !== "signed") throw new Error(`not signed: ${outcome.reason}`);
    });

    const productionCount = Math.min(REQUESTS, 60);
    const builds: Build[] = [];
    for (let v = 1; v <= productionCount; v++) builds.push(await world.build(v));
    // Versions must rise, so these go one at a time, in order.
    let production = 0;
    {
      const t1 = performance.now();
      for (const build of builds) {
        const outcome = await ci.signTargets({ key: "prod-targets", product: "thermostat", bundle: build.bundle, provenance: build.provenance });
        if (outcome.status !== "signed") throw new Error(`not signed: ${outcome.reason}`);
      }
      production = productionCount / ((performance.now() - t1) / 1000);
    }
    await server.close();

    console.log("signing service throughput (Ed25519 file keys, HTTP on 127.0.0.1, SQLite + fsynced audit log)");
    console.log(`  node:crypto sign directly          ${direct.toFixed(0).padStart(7)} signatures/s`);
    console.log(`  service, test key (${CONCURRENCY} clients)     ${testKey.toFixed(0).padStart(7)} signatures/s   ratio ${(testKey / direct).toFixed(4)}`);
    console.log(`  service, production key (in order) ${production.toFixed(0).padStart(7)} signatures/s   ratio ${(production / direct).toFixed(4)}  (provenance + rules re-run per request)`);
  } finally {
    await world.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
