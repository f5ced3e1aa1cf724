// The operator side on both databases: roles (a viewer reads, cannot pause), tokens kept hashed,
// the audit trail, migrations that run once however often they are asked, and the CLI verbs
// against a running service.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS, migrate, openDriver } from "../tools/fleet/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { FleetWorld, databaseKinds, release } from "./helpers/fleet-world.js";

const dirs = scratchDirs("fleet-operators");

describe.each(databaseKinds())("operators on %s", (kind) => {
  let world: FleetWorld;
  beforeAll(async () => {
    world = new FleetWorld(dirs.make());
    world.publishIndex("prod", [release(5)]);
    await world.start(kind);
    await world.devices(3);
  });
  afterAll(async () => {
    await world.stop();
    dirs.cleanup();
  });

  it("refuses operator routes without a valid token, and refuses a viewer every change", async () => {
    expect((await world.api("airlock_op_forged", "GET", "/api/v1/rollouts")).status).toBe(401);
    expect((await world.api("victor", "GET", "/api/v1/whoami")).body).toEqual({ name: "victor", role: "viewer" });
    const created = await world.api("victor", "POST", "/api/v1/rollouts", { channel: "prod", product: "thermostat" });
    expect(created.status).toBe(403);
    const { rollout } = await world.rollout({});
    for (const verb of ["pause", "cancel", "stop"]) {
      const res = await world.api("victor", "POST", `/api/v1/rollouts/${rollout.id}/${verb}`, {});
      expect(res.status, verb).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
    }
    expect((await world.api("victor", "PUT", "/api/v1/devices/d000/groups", { groups: ["x"] })).status).toBe(403);
    expect((await world.show(rollout.id)).rollout.state).toBe("running");
    // The viewer reads.
    expect((await world.api("victor", "GET", "/api/v1/devices?search=d00")).body.devices).toHaveLength(3);
    expect((await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/pause`, {})).status).toBe(200);
    await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/cancel`, {});
  });

  it("audits every operator action with who, when and what", async () => {
    world.clock.advance(1234);
    const { rollout } = await world.rollout({ name: "audited" });
    await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/pause`, { reason: "lunch" });
    await world.api("alice", "PUT", "/api/v1/devices/d001/groups", { groups: ["lab"] });
    const entries = (await world.api("victor", "GET", "/api/v1/audit?limit=3")).body.entries;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(["device.groups", "rollout.pause", "rollout.create"]);
    expect(entries[1]).toMatchObject({ actor: "alice", subject: `rollout/${rollout.id}`, at: world.clock.now(), details: { reason: "lunch", from: "running" } });
    expect(entries[2].details).toMatchObject({ channel: "prod", targetsVersion: 5, bundleSha256: release(5).bundle.sha256 });
    await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/cancel`, {});
  });

  it("runs the migrations once: asked again they apply nothing and the data stays", async () => {
    const driver = openDriver(world.dbUrl);
    try {
      expect(await migrate(driver)).toEqual({ applied: [], version: MIGRATIONS.at(-1)!.version });
      const rows = await driver.transaction((tx) => tx.query<{ version: number }>(`SELECT version FROM schema_migrations ORDER BY version`));
      expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
      expect((await driver.transaction((tx) => tx.query(`SELECT id FROM devices`))).length).toBe(3);
      // A database from a newer airlock is refused, not downgraded.
      await expect(migrate(driver, MIGRATIONS.slice(0, 0))).rejects.toThrow(/newer than this airlock knows/);
    } finally {
      await driver.close();
    }
  });

  it("drives rollouts and devices from the CLI, tokens written private, clear errors", async () => {
    const dir = dirs.make();
    const tokenFile = join(dir, "alice.token");
    const made = await airlock("fleet", "token", "create", "carol", "--db", world.dbUrl, "--role", "operator", "-o", tokenFile);
    expect(made.code, made.stderr).toBe(0);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, "utf8")).toMatch(/^airlock_op_/);
    const remote = ["--remote", world.url, "--token-file", tokenFile];

    const created = await airlock("fleet", "rollout", "create", ...remote, "--channel", "prod", "--product", "thermostat", "--waves", "34%,100%", "--soak", "30m", "--json");
    expect(created.code, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).rollout.id as number;
    const shown = await airlock("fleet", "rollout", "show", String(id), ...remote);
    expect(shown.stdout).toMatch(new RegExp(`rollout ${id} .*: running`));
    expect(shown.stdout).toMatch(/wave 1 \(34%, 2 devices\)/);
    expect(shown.stdout).toMatch(/soak 1800 s/);
    const stopped = await airlock("fleet", "rollout", "stop", String(id), ...remote, "--reason", "drill");
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/stopped \(drill\)/);
    const again = await airlock("fleet", "rollout", "stop", String(id), ...remote);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^airlock: the rollout service refused \(409 WRONG_STATE\): rollout \d+ is stopped/);

    const listed = await airlock("fleet", "devices", ...remote, "--search", "D00", "--json");
    expect(JSON.parse(listed.stdout).devices).toHaveLength(3);
    const audit = (await world.api("alice", "GET", `/api/v1/audit?subject=rollout/${id}`)).body.entries;
    expect(audit.map((e: { actor: string }) => e.actor)).toEqual(["carol", "carol"]);

    const viewerFile = join(dir, "viewer.token");
    await airlock("fleet", "token", "create", "val", "--db", world.dbUrl, "--role", "viewer", "-o", viewerFile);
    const refused = await airlock("fleet", "rollout", "pause", String(id), "--remote", world.url, "--token-file", viewerFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/403 FORBIDDEN.*viewer role/);
    const badRole = await airlock("fleet", "token", "create", "x", "--db", world.dbUrl, "--role", "admin", "-o", join(dir, "x"));
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/--role admin: operator or viewer/);
    const noService = await airlock("fleet", "rollout", "show", "--remote", "http://127.0.0.1:1", "--token-file", tokenFile);
    expect(noService.code).toBe(2);
    expect(noService.stderr).toMatch(/cannot reach the rollout service at http:\/\/127\.0\.0\.1:1/);
  });
});
