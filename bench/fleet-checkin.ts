// `tsx bench/fleet-checkin.ts`: device check-ins per second against the rollout service (token
// check, manifest written, open action and rollout candidates read, all in one transaction) on
// SQLite and, with AIRLOCK_TEST_POSTGRES_URL set, PostgreSQL, against a bare fastify endpoint
// answering the same JSON, measured in the same run with the same HTTP clients.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { FleetWorld, TestDevice, release, type DatabaseKind } from "../test/helpers/fleet-world.js";
import { throughput } from "./throughput.js";

const DEVICES = Number(process.env.BENCH_FLEET_DEVICES ?? 200);
const CHECKINS = Number(process.env.BENCH_FLEET_CHECKINS ?? 4000);
const CONCURRENCY = 16;

async function bare(): Promise<number> {
  const app = Fastify({ logger: false });
  const answer = { config: { polling: { sleep: "00:01:00" } }, _links: {} };
  app.post("/:tenant/controller/v1/:controllerId", async () => answer);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const devices = Array.from({ length: DEVICES }, (_, i) => new TestDevice({ url, enrollSecret: "" }, `b${i}`, "nordic,nrf52840", 1));
  await throughput(200, CONCURRENCY, (i) => devices[i % DEVICES]!.checkIn()); // warm-up
  const rate = await throughput(CHECKINS, CONCURRENCY, (i) => devices[i % DEVICES]!.checkIn());
  await app.close();
  return rate;
}

async function fleet(kind: DatabaseKind): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-fleet-"));
  const world = new FleetWorld(dir);
  try {
    world.publishIndex("prod", [release(5)]);
    await world.start(kind);
    const devices = await world.devices(DEVICES, { version: 5 }); // up to date: the common answer is "nothing"
    await world.rollout({ policy: { soakMs: 0 } }); // a live rollout the check-ins must consider
    await throughput(200, CONCURRENCY, (i) => devices[i % DEVICES]!.checkIn());
    return await throughput(CHECKINS, CONCURRENCY, (i) => devices[i % DEVICES]!.checkIn());
  } finally {
    await world.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const reference = await bare();
const kinds: DatabaseKind[] = process.env.AIRLOCK_TEST_POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];
console.log(`device check-ins per second (${DEVICES} devices, ${CHECKINS} check-ins, ${CONCURRENCY} concurrent HTTP clients on 127.0.0.1)`);
console.log(`  bare fastify, same JSON      ${reference.toFixed(0).padStart(7)} check-ins/s`);
for (const kind of kinds) {
  const rate = await fleet(kind);
  console.log(`  fleet serve on ${kind.padEnd(10)}   ${rate.toFixed(0).padStart(7)} check-ins/s   ratio ${(rate / reference).toFixed(3)}`);
}
if (kinds.length === 1) console.log("  (PostgreSQL not measured: set AIRLOCK_TEST_POSTGRES_URL)");
