// What the device and operator services share: the database, the one clock, the release source.
import type { Clock } from "./clock.js";
import type { SqlDriver } from "./db/driver.js";
import type { ReleaseSource } from "./releases.js";

export interface FleetContext {
  db: SqlDriver;
  clock: Clock;
  releases: ReleaseSource;
}
