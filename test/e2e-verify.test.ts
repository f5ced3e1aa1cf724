// `airlock bundle verify`: agent.wasm judges a bundle on a throw-away device that trusts the
// given root and holds the given manifest, so the host answers exactly as a device would.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBoard } from "../host-sim/boards.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { ok, World } from "./helpers/e2e-world.js";

const dirs = scratchDirs("e2e-verify");
afterAll(() => dirs.cleanup());
let w: World;
beforeAll(async () => {
  w = await new World(dirs.make()).build();
  // What a device holds after installing v1 as targets version 1.
  await w.bundle("installed-v1.bundle", { version: 1, images: { app: "v1.bin" }, signers: ["dev-targets"] });
  await ok("manifest", "create", "--bundle", w.at("installed-v1.bundle"), "-o", w.at("manifest-v1.bin"));
  await w.bundle("installed-other.bundle", { version: 1, images: { app: "v3.bin" }, signers: ["dev-targets"] });
  await ok("manifest", "create", "--bundle", w.at("installed-other.bundle"), "-o", w.at("manifest-other.bin"));
  await w.bundle("installed-v3.bundle", { version: 3, images: { app: "v3.bin" }, signers: ["dev-targets"] });
  await ok("manifest", "create", "--bundle", w.at("installed-v3.bundle"), "-o", w.at("manifest-v3.bin"));
});

async function verify(bundle: string, ...extra: string[]) {
  const run = await airlock("bundle", "verify", "--trusted-root", w.at("dev-root.bin"), bundle, "--json", ...extra);
  return { code: run.code, stderr: run.stderr, json: JSON.parse(run.stdout) as { verified: boolean; error: string | null; rootVersion: number; targetsVersion: number; images: Record<string, string> } };
}

describe("airlock bundle verify", () => {
  it("accepts a bundle signed by the trusted targets key and says what would run", async () => {
    const bundle = await w.bundle("good.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    const { code, json } = await verify(bundle);
    expect(code).toBe(0);
    expect(json).toEqual({ verified: true, error: null, message: expect.any(String), rootVersion: 1, targetsVersion: 2, images: { app: w.image("v2.bin") } });
    const human = await airlock("bundle", "verify", "--trusted-root", w.at("dev-root.bin"), bundle);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^verified: .*good\.bundle installs on a nrf52840 device trusting root v1; afterwards targets v2/);
  });

  it("follows a root rotation the trusted root signed", async () => {
    const bundle = await w.bundle("rotation.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root.bin", signers: ["prod-targets"] });
    expect((await verify(bundle)).json).toMatchObject({ verified: true, rootVersion: 2 });
  });

  it("agrees with inspect's rotation check: accepted by both, or refused by both", async () => {
    for (const [root, accepted] of [["prod-root.bin", true], ["prod-root-old-only.bin", false], ["prod-root-new-only.bin", false], ["prod-root-bad-new-sig.bin", false]] as const) {
      const inspect = await airlock("root", "inspect", w.at(root), "--trusted-root", w.at("dev-root.bin"), "--json");
      expect((JSON.parse(inspect.stdout) as { rotation: { accepted: boolean } }).rotation.accepted, root).toBe(accepted);
      expect(inspect.code, root).toBe(accepted ? 0 : 1);
      const bundle = await w.bundle(`agree-${root}.bundle`, { version: 1, images: { app: "v2.bin" }, root, signers: ["prod-targets"] });
      expect((await verify(bundle)).json.verified, root).toBe(accepted);
    }
    const human = await airlock("root", "inspect", w.at("prod-root-old-only.bin"), "--trusted-root", w.at("dev-root.bin"));
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/is not a rotation a device trusting .*dev-root\.bin accepts: .*its own root keys must make/);
    expect(human.stdout).toMatch(/rotation from trusted root v1: REFUSED \(trusted root keys: 1 valid of 1 needed; version accepted\)/);
  });

  it("rejects a corrupt targets signature with exit 1 and the agent's code", async () => {
    const good = await w.bundle("to-corrupt.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    const { code, json, stderr } = await verify(w.corruptTargetsSignature(good, "corrupt.bundle"));
    expect(code).toBe(1);
    expect(json).toMatchObject({ verified: false, error: "ERR_TARGETS_NOT_SIGNED" });
    expect(stderr).toMatch(/^airlock: bundle rejected: ERR_TARGETS_NOT_SIGNED: .*\n$/);
  });

  it("checks personalized-out payloads against the manifest: accepted with it, refused without it", async () => {
    const full = await w.bundle("perso.full", { version: 2, images: { app: "v1.bin" }, signers: ["dev-targets"] });
    await ok("bundle", "personalize", "--remove", "app", "-o", w.at("perso.bundle"), full);
    const without = await verify(w.at("perso.bundle"));
    expect(without.code).toBe(1);
    expect(without.json.error).toBe("ERR_PERSONALIZED_UNKNOWN");
    const withManifest = await verify(w.at("perso.bundle"), "--manifest", w.at("manifest-v1.bin"));
    expect(withManifest.code).toBe(0);
    expect(withManifest.json).toMatchObject({ verified: true, targetsVersion: 2, images: { app: w.image("v1.bin") } });
    // A manifest recording another image does not vouch for this one.
    const other = await verify(w.at("perso.bundle"), "--manifest", w.at("manifest-other.bin"));
    expect(other.code).toBe(1);
    expect(other.json.error).toBe("ERR_PERSONALIZED_MISMATCH");
  });

  it("takes the manifest from a simulated device with sim manifest, which leaves the device as it was", async () => {
    const device = await w.device("manifest-source");
    const before = readFileSync(device);
    await ok("sim", "manifest", "--flash", device, "-o", w.at("device-manifest.bin"));
    expect(readFileSync(device).equals(before)).toBe(true);
    const full = await w.bundle("perso-device.full", { version: 1, images: { app: "v1.bin" }, signers: ["dev-targets"] });
    await ok("bundle", "personalize", "--remove", "app", "-o", w.at("perso-device.bundle"), full);
    expect((await verify(w.at("perso-device.bundle"), "--manifest", w.at("device-manifest.bin"))).json).toMatchObject({ verified: true, images: { app: w.image("v1.bin") } });
  });

  it("refuses a targets version older than the manifest's", async () => {
    const bundle = await w.bundle("older.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    const { code, json } = await verify(bundle, "--manifest", w.at("manifest-v3.bin"));
    expect(code).toBe(1);
    expect(json.error).toBe("ERR_TARGETS_ROLLBACK");
  });

  it("binds bundles to hardware: the board's own ID verifies, another is refused", async () => {
    const nordic = loadBoard("nrf52840").hardwareId;
    const mine = await w.bundle("hw-mine.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"], hardware: nordic });
    expect((await verify(mine)).json.verified).toBe(true);
    const theirs = await w.bundle("hw-theirs.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"], hardware: loadBoard("rp2040").hardwareId });
    expect((await verify(theirs)).json.error).toBe("ERR_WRONG_HARDWARE");
    expect((await verify(theirs, "--board", "rp2040")).json.verified).toBe(true);
  });

  it("exits 2 for a trusted root or manifest that is not one, naming the file", async () => {
    const bundle = w.at("good.bundle");
    const badRoot = await airlock("bundle", "verify", "--trusted-root", w.at("v1.bin"), bundle);
    expect(badRoot.code).toBe(2);
    expect(badRoot.stderr).toMatch(/trusted root/);
    const badManifest = await airlock("bundle", "verify", "--trusted-root", w.at("dev-root.bin"), "--manifest", w.at("dev-root.bin"), bundle);
    expect(badManifest.code).toBe(2);
    expect(badManifest.stderr).toMatch(/manifest/);
    const unsignedRoot = await airlock("bundle", "verify", "--trusted-root", w.at("prod-root-unsigned.bin"), bundle);
    expect(unsignedRoot.code).toBe(2);
    expect(unsignedRoot.stderr).toMatch(/cannot be provisioned: .*ERR_ROOT_NOT_SELF_SIGNED/);
    expect(readFileSync(bundle).length).toBeGreaterThan(0);
  });
});
