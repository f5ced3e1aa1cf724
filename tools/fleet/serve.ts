// `fleet serve`: the database opened and migrated, the app listening, and the periodic tick that
// evaluates every live rollout (per-device timeouts and soak times pass without any device
// speaking). Several processes may serve one PostgreSQL database; each ticks, and the row locks
// make their decisions agree.
import type { PublicKey } from "../format/index.js";
import { createFleetApp, type FleetApp } from "./app.js";
import { systemClock, type Clock } from "./clock.js";
import type { SqlDriver } from "./db/driver.js";
import { openDatabase } from "./db/open.js";
import type { MigrationReport } from "./db/migrate.js";
import { RepositoryReleases } from "./releases.js";

export interface ServeFleetOptions {
  db: string;
  repoUrl: string;
  releaseKeys: PublicKey[];
  host: string;
  port: number;
  pollSeconds?: number;
  tickSeconds?: number;
  publicUrl?: string;
  clock?: Clock;
  log?: (line: string) => void;
}

export interface FleetServer extends FleetApp {
  url: string;
  driver: SqlDriver;
  migrations: MigrationReport;
  close(): Promise<void>;
}

export const DEFAULT_TICK_SECONDS = 10;

export async function serveFleet(options: ServeFleetOptions): Promise<FleetServer> {
  const clock = options.clock ?? systemClock;
  const releases = new RepositoryReleases(options.repoUrl, options.releaseKeys, clock);
  const { driver, migrations } = await openDatabase(options.db);
  let fleet: FleetApp;
  try {
    fleet = await createFleetApp({ db: driver, clock, releases, pollSeconds: options.pollSeconds, publicUrl: options.publicUrl, log: options.log });
    await fleet.app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await driver.close();
    throw err;
  }
  let ticking: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    ticking = ticking.then(() => fleet.operators.tick()).catch((err: Error) => options.log?.(`tick failed: ${err.message}`));
  }, (options.tickSeconds ?? DEFAULT_TICK_SECONDS) * 1000);
  timer.unref();
  const address = fleet.app.server.address() as { port: number };
  return {
    ...fleet,
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${address.port}`,
    driver,
    migrations,
    async close() {
      clearInterval(timer);
      await fleet.app.close();
      await ticking;
      await driver.close();
    },
  };
}
