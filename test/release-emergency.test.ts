// The pipeline with its qualification gates, and the emergency path. A qualify stage installs
// the test-signed bundle on the simulator (real agent) and its signed records go with the
// production signing request, which the signing service refuses without the suites its policy
// lists. `release emergency` takes a fix through test-sign, simulator qualification, production
// signing under the emergency rule (two approvers here) and publishes to emergency and prod at
// once; the drill measures from the fix's build to every simulated device running it.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { ReleaseRepository, serveRelease } from "../tools/release/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { ok, simBoot, simConfirm } from "./helpers/e2e-world.js";
import { currentRelease, PipelineWorld, pipelineStages } from "./helpers/pipeline-world.js";
import { policyYaml } from "./helpers/signer-world.js";

const dirs = scratchDirs("emergency");
afterAll(() => dirs.cleanup());
let world: PipelineWorld;
afterEach(async () => world?.stop());

const EMERGENCY_RULE = "production:\n  approvals: 1\n  qualification: [sim-update, sim-revert]\n  emergency: { approvals: 2, qualification: [sim-update] }\n";
const EMERGENCY_CONFIG = "emergency:\n  key: prod-targets\n  testKey: test-targets\n  suites: [sim-update]\n  powerCuts: 1\n  channels: [emergency, prod]\n";

/** The test policy with its production section replaced by `production`. */
const policyWith = (production: string) => policyYaml().replace(/production:\n {2}approvals: \d+\n {2}qualification: \[[^\]]*\]\n/, production);

describe("release run with qualification: the production signature needs the policy's suites", () => {
  it("qualifies on the simulator, sends the signed records with the production request, and reaches prod", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyWith("production:\n  approvals: 0\n  qualification: [sim-update, sim-revert]\n"), pipelineStages({ qualify: true, soakMinutes: 0 }));
    await world.build(5);
    const result = await world.run(world.record(5));
    expect(result.status, result.reason).toBe("passed");
    expect(result.history.records.map((r) => `${r.stage}:${r.result}`)).toEqual(["test-sign:passed", "qualify:passed", "internal:passed", "rc:passed", "qualify-rc:passed", "prod-sign:passed", "prod:passed"]);
    const qualify = result.history.records[1]!;
    expect(qualify.details.join("\n")).toMatch(/sim-update: pass .* on nrf52840/);
    expect(qualify.details.join("\n")).toMatch(/sim-revert: pass/);
    expect(result.history.records[5]!.inputs).toMatchObject({ "qualification:qualify": qualify.outputs.qualification, "qualification:qualify-rc": expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(currentRelease(world, "prod")).toMatchObject({ targetsVersion: 5, signedBy: ["prod-targets"] });
  }, 120_000);

  it("is refused by the signing service when the policy lists a suite no stage ran", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyWith("production:\n  approvals: 0\n  qualification: [sim-update, sim-power-cut]\n"), pipelineStages({ qualify: true, soakMinutes: 0 }));
    await world.build(5);
    const result = await world.run(world.record(5));
    expect(result.status).toBe("failed");
    expect(result.stoppedAt).toBe("prod-sign");
    expect(result.reason).toMatch(/no passing qualification record signed by a listed qualifier for suite\(s\) sim-power-cut of this build/);
    expect(new ReleaseRepository(world.at("releases")).readIndex("prod")).toBeUndefined();
  }, 120_000);
});

describe("release emergency: the short path, never without a signature", () => {
  it("drill: a fix from build to every simulated device, with two approvers, published to emergency and prod at once", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyWith(EMERGENCY_RULE), pipelineStages({ qualify: true, soakMinutes: 0 }), EMERGENCY_CONFIG);
    // The fleet: devices that trust the production root, running the factory image.
    await ok("root", "create", "--root-key", world.at("root-a.pem.pub"), "--targets-key", world.at("prod-targets.pem.pub"), "--version", "1", "-o", world.at("prod-root.bin"));
    await ok("root", "sign", "--key", world.at("root-a.pem"), world.at("prod-root.bin"));
    writeFileSync(world.at("factory.bin"), Buffer.alloc(4096, 0x5a));
    const devices = [1, 2, 3].map((n) => world.at(`device-${n}.flash`));
    for (const device of devices) await ok("sim", "init", "--flash", device, "--board", "nrf52840", "--root", world.at("prod-root.bin"), `app=${world.at("factory.bin")}`);
    const server = await serveRelease(new ReleaseRepository(world.at("releases")), { host: "127.0.0.1", port: 0 });
    try {
      const started = performance.now();
      await world.build(9);
      const waiting = await world.emergency(world.record(9));
      expect(waiting.status).toBe("waiting");
      expect(waiting.stoppedAt).toBe("emergency-sign");
      expect(waiting.reason).toMatch(/waits for approvals \(0 of 2\)/);
      const request = waiting.history.records.at(-1)!;
      expect(request.details[0]).toMatch(/^EMERGENCY release under the policy's emergency rule \(2 approval\(s\), suites sim-update\)/);
      await world.approve("bob", request.requestId!);
      await world.approve("carol", request.requestId!);
      const done = await world.emergency(world.record(9));
      expect(done.status, done.reason).toBe("passed");
      expect(done.history.path).toBe("emergency");
      expect(done.history.records.map((r) => `${r.stage}:${r.result}`)).toEqual([
        "emergency-test-sign:passed", "emergency-qualify:passed", "emergency-sign:waiting", "emergency-sign:passed", "publish-emergency:passed", "publish-prod:passed",
      ]);
      expect(currentRelease(world, "emergency")).toEqual(currentRelease(world, "prod"));
      expect(currentRelease(world, "prod")).toMatchObject({ targetsVersion: 9, signedBy: ["prod-targets"] });
      const published = performance.now();

      for (const device of devices) {
        const fetched = await airlock("sim", "fetch", "--flash", device, "--from", server.url, "--channel", "emergency", "--release-key", world.at("release.pub"), "--json");
        expect(fetched.code, fetched.stderr).toBe(0);
        expect(JSON.parse(fetched.stdout)).toMatchObject({ result: "SUCCESS", targetsVersion: 9 });
        await simConfirm(device); // the fix's self-test passed
        expect(await simBoot(device)).toMatchObject({ targetsVersion: 9, trial: false });
      }
      const installed = performance.now();
      console.log(`emergency drill: build to published ${(published - started).toFixed(0)} ms (qualification on the simulator, two approvals), to ${devices.length} devices running the fix ${(installed - started).toFixed(0)} ms`);

      // One build takes one path: the normal pipeline refuses this build now.
      await expect(world.run(world.record(9))).rejects.toThrow(/is already on the emergency path/);
    } finally {
      await server.close();
    }
  }, 180_000);

  it("is refused by the signing service when its policy has no emergency rule", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyWith("production:\n  approvals: 0\n  qualification: [sim-update]\n"), pipelineStages({ soakMinutes: 0 }), EMERGENCY_CONFIG);
    await world.build(9);
    const result = await world.emergency(world.record(9));
    expect(result.status).toBe("failed");
    expect(result.stoppedAt).toBe("emergency-sign");
    expect(result.reason).toMatch(/the policy has no production\.emergency rule: key "prod-targets" cannot sign an emergency release/);
    const cli = await airlock("release", "emergency", "--config", world.at("release.yaml"), world.record(9));
    expect(cli.code).toBe(1);
  }, 120_000);

  it("needs an emergency section in the release config", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml(), pipelineStages({ soakMinutes: 0 }));
    await world.build(9);
    const run = await airlock("release", "emergency", "--config", world.at("release.yaml"), world.record(9));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/has no emergency section: add emergency: \{key, testKey, channels\}/);
  });
});
