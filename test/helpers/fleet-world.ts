// The rollout service's test world: a release repository with channel indexes signed by a
// release key (and a stranger's), served over HTTP; a fleet app on SQLite or a fresh PostgreSQL
// database, on a ManualClock; operator tokens; and devices as plain HTTP clients of the DDI API.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { ManualClock, RepositoryReleases, createEnrollSecret, createFleetApp, createOperatorToken, openDatabase, type FleetApp, type Role, type SqlDriver } from "../../tools/fleet/index.js";
import { ReleaseRepository, serveRelease, signChannelIndex, type ChannelRelease } from "../../tools/release/index.js";
import type { StoreServer } from "../../tools/store/index.js";
import { makeKey, type KeyFiles } from "./key-files.js";
import { inCi } from "./system-tool.js";

export const PRODUCT = "thermostat";
export const HARDWARE = "nordic,nrf52840";
export const OTHER_HARDWARE = "st,stm32f4";
export const POSTGRES_ENV = "AIRLOCK_TEST_POSTGRES_URL";

/** The PostgreSQL URL for tests, or undefined (loudly) outside CI; in CI its absence fails. */
export function postgresUrl(): string | undefined {
  const url = process.env[POSTGRES_ENV];
  if (url) return url;
  const message = `${POSTGRES_ENV} is not set: start PostgreSQL (apt-get install postgresql) and export ${POSTGRES_ENV}=postgres://USER@HOST:PORT/DB, as .ci/run does`;
  if (inCi()) throw new Error(`${message}; in CI these tests never skip`);
  console.warn(`\n*** SKIPPING the PostgreSQL fleet tests: ${message} ***\n`);
  return undefined;
}

/** A new empty database on the test server; drop() removes it. */
export async function freshPostgresDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `airlock_fleet_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type DatabaseKind = "sqlite" | "postgres";

/** The databases the parameterised suites run on: SQLite always, PostgreSQL when there is one. */
export function databaseKinds(): DatabaseKind[] {
  return postgresUrl() ? ["sqlite", "postgres"] : ["sqlite"];
}

export const sha = (text: string) => Buffer.from(text.padEnd(32, ".")).toString("hex").slice(0, 64).padEnd(64, "0");

export function release(targetsVersion: number, hardwareId: string | null = HARDWARE, product = PRODUCT): ChannelRelease {
  return { product, hardwareId, targetsVersion, bundle: { sha256: sha(`${product}-${hardwareId}-${targetsVersion}`), size: 1000 + targetsVersion }, publishedAt: "2030-01-01T00:00:00Z" };
}

export class FleetWorld {
  readonly releaseKey: KeyFiles;
  readonly stranger: KeyFiles;
  readonly repoDir: string;
  readonly clock = new ManualClock();
  private indexVersions = new Map<string, number>();
  repoServer!: StoreServer;
  driver!: SqlDriver;
  fleet!: FleetApp;
  url!: string;
  dbUrl!: string;
  enrollSecret!: string;
  tokens: Record<string, string> = {};
  private dropDatabase?: () => Promise<void>;

  constructor(readonly dir: string) {
    this.releaseKey = makeKey(dir, "release");
    this.stranger = makeKey(dir, "stranger");
    this.repoDir = join(dir, "repo");
    mkdirSync(join(this.repoDir, "channels"), { recursive: true });
  }

  /** Publishes a channel index naming `releases` (signed by the release key unless told otherwise). */
  publishIndex(channel: string, releases: ChannelRelease[], key: KeyFiles = this.releaseKey): number {
    const version = (this.indexVersions.get(channel) ?? 0) + 1;
    this.indexVersions.set(channel, version);
    const now = new Date(this.clock.now());
    const text = signChannelIndex({ channel, version, issuedAt: now.toISOString(), expires: new Date(now.getTime() + 30 * 86_400_000).toISOString(), releases }, key.signing);
    writeFileSync(join(this.repoDir, "channels", `${channel}.json`), text);
    return version;
  }

  async startRepository(): Promise<void> {
    this.repoServer = await serveRelease(new ReleaseRepository(this.repoDir), { host: "127.0.0.1", port: 0 });
  }

  /** The database for `kind`: a SQLite file in the world's directory or a fresh PostgreSQL database. */
  async database(kind: DatabaseKind): Promise<string> {
    if (kind === "sqlite") return join(this.dir, "fleet.sqlite");
    const fresh = await freshPostgresDatabase(postgresUrl()!);
    this.dropDatabase = fresh.drop;
    return fresh.url;
  }

  async start(kind: DatabaseKind): Promise<this> {
    await this.startRepository();
    this.dbUrl = await this.database(kind);
    this.driver = (await openDatabase(this.dbUrl)).driver;
    this.fleet = await createFleetApp({ db: this.driver, clock: this.clock, releases: new RepositoryReleases(this.repoServer.url, [this.releaseKey.public], this.clock), pollSeconds: 60 });
    await this.fleet.app.listen({ host: "127.0.0.1", port: 0 });
    this.url = `http://127.0.0.1:${(this.fleet.app.server.address() as { port: number }).port}`;
    this.enrollSecret = (await createEnrollSecret(this.driver, this.clock, "test", PRODUCT)).secret;
    for (const [name, role] of [["alice", "operator"], ["victor", "viewer"]] as [string, Role][]) this.tokens[name] = (await createOperatorToken(this.driver, this.clock, "test", name, role)).token;
    return this;
  }

  async stop(): Promise<void> {
    await this.fleet?.app.close();
    await this.driver?.close();
    await this.repoServer?.close();
    await this.dropDatabase?.();
  }

  /** An operator API call as `who`. */
  async api(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.tokens[who] ?? who}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Creates a rollout as alice; throws unless 201. */
  async rollout(body: Record<string, unknown>): Promise<any> {
    const res = await this.api("alice", "POST", "/api/v1/rollouts", { channel: "prod", product: PRODUCT, ...body });
    if (res.status !== 201) throw new Error(`rollout not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async show(id: number): Promise<any> {
    return (await this.api("victor", "GET", `/api/v1/rollouts/${id}`)).body;
  }

  device(id: string, options: { hardwareId?: string; version?: number } = {}): TestDevice {
    return new TestDevice(this, id, options.hardwareId ?? HARDWARE, options.version ?? 1);
  }

  /** Enrolled devices d000.., each in `groups` when given. */
  async devices(count: number, options: { prefix?: string; version?: number; groups?: string[] } = {}): Promise<TestDevice[]> {
    const out: TestDevice[] = [];
    for (let i = 0; i < count; i++) {
      const d = this.device(`${options.prefix ?? "d"}${String(i).padStart(3, "0")}`, { version: options.version });
      await d.enroll();
      if (options.groups) await this.api("alice", "PUT", `/api/v1/devices/${d.id}/groups`, { groups: options.groups });
      out.push(d);
    }
    return out;
  }
}

/** A device as a plain HTTP client of the DDI-shaped API. */
export class TestDevice {
  token = "";

  constructor(
    readonly world: { url: string; enrollSecret: string },
    readonly id: string,
    readonly hardwareId: string,
    public version: number,
  ) {}

  get base(): string {
    return `${this.world.url}/${PRODUCT}/controller/v1/${this.id}`;
  }

  manifest(): Record<string, unknown> {
    return { product: PRODUCT, hardwareId: this.hardwareId, targetsVersion: this.version, images: { app: sha(`app-${this.version}`) } };
  }

  async request(method: string, path: string, body?: unknown, authorization = `TargetToken ${this.token}`): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async enroll(secret = this.world.enrollSecret): Promise<{ status: number; body: any }> {
    const res = await this.request("POST", "/enroll", this.manifest(), `GatewayToken ${secret}`);
    if (res.status === 201) this.token = res.body.token;
    return res;
  }

  /** Checks in with its manifest; the action ID it was given, or undefined. */
  async checkIn(): Promise<number | undefined> {
    const res = await this.request("POST", "", this.manifest());
    if (res.status !== 200) throw new Error(`check-in of ${this.id}: ${res.status} ${JSON.stringify(res.body)}`);
    const href: string | undefined = res.body._links?.deploymentBase?.href;
    return href === undefined ? undefined : Number(/deploymentBase\/(\d+)/.exec(href)![1]);
  }

  async feedback(actionId: number, status: Record<string, unknown>): Promise<{ status: number; body: any }> {
    return this.request("POST", `/deploymentBase/${actionId}/feedback`, { status });
  }

  /** Downloads, installs, confirms: the feedback sequence of a good update; runs the new version. */
  async install(actionId: number): Promise<void> {
    const deployment = await this.request("GET", `/deploymentBase/${actionId}`);
    if (deployment.status !== 200) throw new Error(`deployment of ${this.id}: ${deployment.status} ${JSON.stringify(deployment.body)}`);
    for (const status of [{ execution: "download" }, { execution: "proceeding" }, { execution: "closed", result: { finished: "success" } }]) {
      const res = await this.feedback(actionId, status);
      if (res.status !== 200) throw new Error(`feedback of ${this.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    this.version = Number(deployment.body.deployment.chunks[0].version);
  }

  async revert(actionId: number): Promise<{ status: number; body: any }> {
    return this.feedback(actionId, { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "reverted" }, details: ["trial boot failed"] });
  }

  async refuse(actionId: number, error = "ERR_TARGETS_ROLLBACK"): Promise<{ status: number; body: any }> {
    return this.feedback(actionId, { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "refused", error } });
  }
}
