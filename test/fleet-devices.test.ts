// The device API on both databases: enrollment only with the product's secret, a token per
// device (stored hashed, a wrong one refused), check-ins that answer nothing or one deployment,
// never a release older than or equal to what the device runs, never one for other hardware.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenSha256 } from "../tools/signer/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { FleetWorld, HARDWARE, OTHER_HARDWARE, PRODUCT, databaseKinds, release } from "./helpers/fleet-world.js";

const dirs = scratchDirs("fleet-devices");

describe.each(databaseKinds())("device API on %s", (kind) => {
  let world: FleetWorld;
  beforeAll(async () => {
    world = new FleetWorld(dirs.make());
    world.publishIndex("prod", [release(5), release(7, OTHER_HARDWARE)]);
    await world.start(kind);
  });
  afterAll(async () => {
    await world.stop();
    dirs.cleanup();
  });

  it("enrolls a device only with the product's enrollment secret and keeps only the token's hash", async () => {
    const d = world.device("enroll-1");
    const wrong = await d.enroll("airlock_enroll_not-the-secret");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("BAD_ENROLLMENT_SECRET");
    const none = await d.request("POST", "/enroll", d.manifest(), "");
    expect(none.status).toBe(401);

    const ok = await d.enroll();
    expect(ok.status).toBe(201);
    expect(ok.body.token).toMatch(/^airlock_dev_/);
    const stored = await world.driver.transaction((tx) => tx.query<{ token_sha256: string }>(`SELECT token_sha256 FROM devices WHERE id = ?`, ["enroll-1"]));
    expect(stored[0]!.token_sha256).toBe(tokenSha256(ok.body.token));
    expect(JSON.stringify(stored)).not.toContain(ok.body.token);

    // The same ID again, even with the secret, cannot take the device over.
    const again = await world.device("enroll-1").enroll();
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("ALREADY_ENROLLED");
  });

  it("refuses a device under another product's tenant and a manifest of another product", async () => {
    const d = world.device("enroll-2");
    const res = await d.request("POST", "/enroll", { ...d.manifest(), product: "doorbell" }, `GatewayToken ${world.enrollSecret}`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("WRONG_PRODUCT");
  });

  it("refuses a check-in with a bad token, another device's token, or none", async () => {
    const a = world.device("auth-a");
    const b = world.device("auth-b");
    await a.enroll();
    await b.enroll();
    for (const authorization of ["TargetToken airlock_dev_forged", `TargetToken ${b.token}`, "", `Bearer ${a.token}`]) {
      const res = await a.request("POST", "", a.manifest(), authorization);
      expect(res.status, authorization).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHENTICATED");
    }
    expect((await a.request("POST", "", a.manifest())).status).toBe(200);
  });

  it("answers a check-in with the polling interval and no deployment when no rollout runs", async () => {
    const d = world.device("idle-1");
    await d.enroll();
    const res = await d.request("POST", "", d.manifest());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ config: { polling: { sleep: "00:01:00" } }, _links: {} });
  });

  it("refuses a check-in whose manifest changes the device's hardware", async () => {
    const d = world.device("hw-change");
    await d.enroll();
    const res = await d.request("POST", "", { ...d.manifest(), hardwareId: OTHER_HARDWARE });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("IDENTITY_CHANGED");
  });

  it("gives a deployment in hawkBit's shape only to devices of the release's hardware running an older version", async () => {
    const older = world.device("v-old", { version: 4 });
    const same = world.device("v-same", { version: 5 });
    const newer = world.device("v-new", { version: 6 });
    const otherHw = world.device("v-otherhw", { hardwareId: OTHER_HARDWARE, version: 1 });
    for (const d of [older, same, newer, otherHw]) await d.enroll();
    const view = await world.rollout({ hardwareId: HARDWARE, policy: { soakMs: 0 } });
    expect(view.rollout.targetsVersion).toBe(5);

    expect(await same.checkIn()).toBeUndefined();
    expect(await newer.checkIn()).toBeUndefined();
    expect(await otherHw.checkIn()).toBeUndefined();
    const actionId = await older.checkIn();
    expect(actionId).toBeGreaterThan(0);
    // Asked again (a retry, or another server), the device gets the same action.
    expect(await older.checkIn()).toBe(actionId);

    const deployment = await older.request("GET", `/deploymentBase/${actionId}`);
    expect(deployment.status).toBe(200);
    const r = release(5);
    expect(deployment.body).toMatchObject({
      id: String(actionId),
      deployment: {
        download: "forced",
        update: "forced",
        chunks: [{ part: "bundle", name: PRODUCT, version: "5", artifacts: [{ hashes: { sha256: r.bundle.sha256 }, size: r.bundle.size, _links: { download: { href: `${world.repoServer.url}/objects/sha256/${r.bundle.sha256}` } } }] }],
      },
      airlock: { rollout: view.rollout.id, channel: "prod", targetsVersion: 5, hardwareId: HARDWARE, wave: 1 },
    });
    // Another device cannot read it.
    expect((await same.request("GET", `/deploymentBase/${actionId}`)).status).toBe(404);

    // A device that meanwhile runs the release (its result lost) is counted as installed, not offered it again.
    older.version = 5;
    expect(await older.checkIn()).toBeUndefined();
    const shown = await world.show(view.rollout.id);
    expect(shown.totals.installed).toBe(1);
    await world.api("alice", "POST", `/api/v1/rollouts/${view.rollout.id}/cancel`, {});
  });

  it("takes progress and results in hawkBit's feedback shape, refusing malformed and late reports", async () => {
    const d = world.device("fb-1", { version: 1 });
    await d.enroll();
    const { rollout } = await world.rollout({ hardwareId: HARDWARE, policy: { errorPercent: 100 } });
    const actionId = (await d.checkIn())!;
    expect((await d.feedback(actionId, { execution: "download", result: { progress: { cnt: 1, of: 3 } } })).body.state).toBe("downloading");
    expect((await d.feedback(actionId, { execution: "bogus" })).status).toBe(400);
    // A refusal must carry the agent's error code.
    const noCode = await d.feedback(actionId, { execution: "closed", result: { finished: "failure" } });
    expect(noCode.status).toBe(400);
    expect(noCode.body.error.message).toMatch(/status\.airlock\.error/);
    const refused = await d.refuse(actionId, "ERR_HARDWARE_MISMATCH");
    expect(refused.body.state).toBe("refused");
    // The same result again is a retried reply; another one is too late.
    expect((await d.refuse(actionId, "ERR_HARDWARE_MISMATCH")).status).toBe(200);
    const late = await d.feedback(actionId, { execution: "closed", result: { finished: "success" } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("ACTION_CLOSED");
    const shown = await world.show(rollout.id);
    expect(shown.failing).toMatchObject([{ deviceId: "fb-1", state: "refused", errorCode: "ERR_HARDWARE_MISMATCH" }]);
    // A device that failed a rollout is not offered it again.
    expect(await d.checkIn()).toBeUndefined();
    await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/cancel`, {});
  });
});
