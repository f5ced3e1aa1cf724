// The user manifest end to end through the CLI: `bundle create ... user_manifest=FILE` builds it,
// `sim update` installs it with the bundle, `sim boot` shows it (JSON key userManifest and the
// human line), a revert brings back the previous one, `sim manifest` exports it into
// Manifest.user_manifest, and `bundle verify --manifest` checks a personalized-out one against it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { ok, sha256, simBoot, simConfirm, simUpdate, World } from "./helpers/e2e-world.js";
import { parseManifest } from "../tools/format/index.js";
import { MAX_USER_MANIFEST_BYTES } from "../assembly/limits.js";

const dirs = scratchDirs("e2e-user-manifest");
afterAll(() => dirs.cleanup());
let w: World;
const um1 = Buffer.from('{"model":"TX-1","build":"2026.11.1"}\n');
const um2 = Buffer.from('{"model":"TX-1","build":"2026.12.0","channel":"beta"}\n');

beforeAll(async () => {
  w = await new World(dirs.make()).build();
  writeFileSync(w.at("um1.json"), um1);
  writeFileSync(w.at("um2.json"), um2);
});

describe("airlock sim with a user manifest", () => {
  it("installs it with the bundle, shows it in sim boot, keeps it across power cycles", async () => {
    const device = await w.device("shown");
    expect((await simBoot(device)).userManifest).toBeUndefined(); // a factory device has none
    const bundle = await w.bundle("um1.bundle", { version: 2, images: { app: "v2.bin", user_manifest: "um1.json" }, signers: ["dev-targets"] });
    const { code, json } = await simUpdate(device, bundle);
    expect(code).toBe(0);
    expect(json).toMatchObject({ result: "SUCCESS", slot: "b", trial: true, userManifest: { length: um1.length, sha256: sha256(um1) } });
    expect(json.images).toEqual({ app: w.image("v2.bin") }); // not an image
    await simConfirm(device);
    for (let cycle = 0; cycle < 2; cycle++) {
      expect(await simBoot(device)).toEqual({
        slot: "b", trial: false, rootVersion: 1, targetsVersion: 2,
        images: { app: w.image("v2.bin") },
        userManifest: { length: um1.length, sha256: sha256(um1) },
      });
    }
    const human = (await ok("sim", "boot", "--flash", device)).stdout;
    expect(human).toContain(`user manifest ${um1.length} bytes sha256 ${sha256(um1)}`);
  });

  it("a revert of an unconfirmed update brings back the previous user manifest", async () => {
    const device = await w.device("revert");
    await simUpdate(device, await w.bundle("r1.bundle", { version: 2, images: { app: "v2.bin", user_manifest: "um1.json" }, signers: ["dev-targets"] }));
    await simConfirm(device);
    const { json } = await simUpdate(device, await w.bundle("r2.bundle", { version: 3, images: { app: "v3.bin", user_manifest: "um2.json" }, signers: ["dev-targets"] }));
    expect(json).toMatchObject({ result: "SUCCESS", slot: "a", userManifest: { sha256: sha256(um2) } });
    // Power cycle without confirm: the trial image and its user manifest are gone.
    expect(await simBoot(device)).toMatchObject({ slot: "b", targetsVersion: 2, userManifest: { length: um1.length, sha256: sha256(um1) } });
  });

  it("refuses a user manifest the device cannot keep: exit 2, nothing written", async () => {
    writeFileSync(w.at("big.json"), Buffer.alloc(MAX_USER_MANIFEST_BYTES + 1, 0x20));
    const run = await airlock("bundle", "create", "-o", w.at("big.bundle"), "--targets-version", "2", `app=${w.at("v2.bin")}`, `user_manifest=${w.at("big.json")}`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`user_manifest is ${MAX_USER_MANIFEST_BYTES + 1} bytes; a device keeps at most ${MAX_USER_MANIFEST_BYTES} \\(MAX_USER_MANIFEST_BYTES\\)`));
    expect(existsSync(w.at("big.bundle"))).toBe(false);
    writeFileSync(w.at("max.json"), Buffer.alloc(MAX_USER_MANIFEST_BYTES, 0x20));
    await ok("bundle", "create", "-o", w.at("max.bundle"), "--targets-version", "2", `app=${w.at("v2.bin")}`, `user_manifest=${w.at("max.json")}`);
  });
});

describe("sim manifest and bundle verify --manifest with a user manifest", () => {
  let device = "";
  let manifest = "";
  beforeAll(async () => {
    device = await w.device("exported");
    await simUpdate(device, await w.bundle("e1.bundle", { version: 2, images: { app: "v2.bin", user_manifest: "um1.json" }, signers: ["dev-targets"] }));
    await simConfirm(device);
    manifest = w.at("exported.manifest");
    await ok("sim", "manifest", "--flash", device, "-o", manifest);
  });

  it("exports the user manifest's bytes into Manifest.user_manifest and lists it as a target", () => {
    const parsed = parseManifest(readFileSync(manifest));
    expect(Buffer.from(parsed.userManifest ?? []).equals(um1)).toBe(true);
    const listed = (parsed.targets.targetFiles ?? []).map((f) => [f.fileName, f.length]);
    expect(listed).toEqual([["app", 24_000], ["user_manifest", um1.length]]);
  });

  it("verifies a bundle that personalizes out the same user manifest, and refuses another one", async () => {
    const same = await w.bundle("p-same.full", { version: 3, images: { app: "v3.bin", user_manifest: "um1.json" }, signers: ["dev-targets"] });
    await ok("bundle", "personalize", "--remove", "user_manifest", "-o", w.at("p-same.bundle"), same);
    const verified = JSON.parse((await ok("bundle", "verify", "--trusted-root", w.at("dev-root.bin"), "--manifest", manifest, "--json", w.at("p-same.bundle"))).stdout) as { verified: boolean };
    expect(verified.verified).toBe(true);

    const other = await w.bundle("p-other.full", { version: 3, images: { app: "v3.bin", user_manifest: "um2.json" }, signers: ["dev-targets"] });
    await ok("bundle", "personalize", "--remove", "user_manifest", "-o", w.at("p-other.bundle"), other);
    const run = await airlock("bundle", "verify", "--trusted-root", w.at("dev-root.bin"), "--manifest", manifest, "--json", w.at("p-other.bundle"));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ verified: false, error: "ERR_PERSONALIZED_MISMATCH" });

    // And the device agrees with the host verifier: it takes the first and keeps its user manifest.
    expect((await simUpdate(device, w.at("p-other.bundle"))).json.error).toBe("ERR_PERSONALIZED_MISMATCH");
    const { json } = await simUpdate(device, w.at("p-same.bundle"));
    expect(json).toMatchObject({ result: "SUCCESS", targetsVersion: 3, userManifest: { length: um1.length, sha256: sha256(um1) } });
  });
});
