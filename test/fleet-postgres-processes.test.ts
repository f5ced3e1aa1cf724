// Two real `airlock fleet serve` processes on one PostgreSQL database, started at the same
// moment (both migrate: the advisory lock lets one do it), and many devices checking in at both
// at once: each device gets one answer from both (the same action, or nothing from either), and
// no wave is ever given out to more devices than its size.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnrollSecret, createOperatorToken, openDriver, systemClock, type SqlDriver } from "../tools/fleet/index.js";
import { BIN, scratchDirs } from "./helpers/cli-run.js";
import { FleetWorld, PRODUCT, TestDevice, freshPostgresDatabase, postgresUrl, release } from "./helpers/fleet-world.js";

const baseUrl = postgresUrl();
const dirs = scratchDirs("fleet-pg-processes");
const DEVICES = 60;

interface Served {
  url: string;
  stop(): Promise<void>;
}

function fleetServe(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, "fleet", "serve", ...args, "--listen", "127.0.0.1:0", "--tick-seconds", "1", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
      const line = stdout.split("\n").find((l) => l.includes('"event":"listening"'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, stop });
    });
    child.on("exit", (code) => reject(new Error(`fleet serve ended (${code}) before listening: ${stderr}`)));
  });
}

describe.skipIf(!baseUrl)("two fleet serve processes on one PostgreSQL", () => {
  let world: FleetWorld;
  let db: { url: string; drop(): Promise<void> };
  let servers: Served[] = [];
  let driver: SqlDriver;

  beforeAll(async () => {
    world = new FleetWorld(dirs.make());
    world.publishIndex("prod", [release(5)]);
    await world.startRepository();
    db = await freshPostgresDatabase(baseUrl!);
    const args = ["--db", db.url, "--repo-url", world.repoServer.url, "--release-key-pub", world.releaseKey.pub];
    servers = await Promise.all([fleetServe(args), fleetServe(args)]);
    driver = openDriver(db.url);
    world.tokens.alice = (await createOperatorToken(driver, systemClock, "test", "alice", "operator")).token;
    world.enrollSecret = (await createEnrollSecret(driver, systemClock, "test", PRODUCT)).secret;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await driver?.close();
    await world?.repoServer?.close();
    await db?.drop();
    dirs.cleanup();
  });

  it("gives each device the same answer from both processes and never overfills a wave", async () => {
    const [a, b] = servers as [Served, Served];
    const atA = Array.from({ length: DEVICES }, (_, i) => new TestDevice({ url: a.url, enrollSecret: world.enrollSecret }, `pg${String(i).padStart(3, "0")}`, "nordic,nrf52840", 1));
    await Promise.all(atA.map((d) => d.enroll()));
    expect(atA.every((d) => d.token)).toBe(true);
    const atB = atA.map((d) => Object.assign(new TestDevice({ url: b.url, enrollSecret: world.enrollSecret }, d.id, d.hardwareId, d.version), { token: d.token }));

    world.url = a.url;
    const { rollout, waves } = await world.rollout({ waves: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], policy: { successPercent: 100, soakMs: 0 } });
    const sizes = waves.map((w: { size: number }) => w.size);
    expect(sizes).toEqual([6, 24, 30]);

    /** Every device checks in at both processes at once, `rounds` times; the answers per device. */
    const storm = async (rounds: number) => {
      const answers = new Map<string, Set<number | undefined>>();
      for (let round = 0; round < rounds; round++) {
        const results = await Promise.all(atA.flatMap((d, i) => [d, atB[i]!].map(async (x) => [x.id, await x.checkIn()] as const)));
        for (const [id, answer] of results) answers.set(id, (answers.get(id) ?? new Set()).add(answer));
      }
      for (const [id, set] of answers) expect(set.size, `device ${id} got ${[...set].join(" and ")}`).toBe(1);
      return new Map([...answers].flatMap(([id, set]) => ([...set][0] === undefined ? [] : [[id, [...set][0]!] as const])));
    };
    const perWave = async () => {
      const rows = await driver.transaction((tx) => tx.query<{ wave: number; n: number }>(`SELECT wave, COUNT(*) AS n FROM actions WHERE rollout_id = ? GROUP BY wave ORDER BY wave`, [rollout.id]));
      return rows.map((r) => Number(r.n));
    };

    const first = await storm(3);
    expect(first.size).toBe(sizes[0]);
    expect(await perWave()).toEqual([sizes[0]]);

    // Results go alternately to either process; the last one starts wave 2 (soak 0).
    await Promise.all([...first].map(([id, action], i) => (i % 2 ? atB : atA).find((d) => d.id === id)!.install(action)));
    const second = await storm(2);
    expect(second.size).toBe(sizes[1]);
    expect(await perWave()).toEqual([sizes[0], sizes[1]]);
    const doubled = await driver.transaction((tx) => tx.query(`SELECT device_id FROM actions GROUP BY device_id HAVING COUNT(*) > 1`));
    expect(doubled).toEqual([]);
  }, 120_000);
});
