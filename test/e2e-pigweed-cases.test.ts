// Pigweed pw_software_update's behaviour cases, re-created with airlock's tools and Ed25519 and
// run end to end through the CLI: `airlock sim init` makes a device trusting the development
// root and running firmware v1, `airlock sim update` sends each bundle, `airlock sim boot` shows
// what the device runs and trusts afterwards. Every refusal must leave that unchanged, except
// that a new root which itself verified is kept (DESIGN.md, as TUF and Pigweed do).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDirs } from "./helpers/cli-run.js";
import { expectRefused, ok, simBoot, simConfirm, simUpdate, World } from "./helpers/e2e-world.js";

const dirs = scratchDirs("e2e-pigweed");
afterAll(() => dirs.cleanup());
let w: World;
beforeAll(async () => {
  w = await new World(dirs.make()).build();
});

describe("accepted bundles", () => {
  it("installs a dev-signed bundle: v2 runs on trial from slot B, and stays once confirmed", async () => {
    const device = await w.device("dev-signed");
    const bundle = await w.bundle("dev-signed.bundle", { version: 1, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    const { code, json } = await simUpdate(device, bundle);
    expect(code).toBe(0);
    expect(json).toMatchObject({ result: "SUCCESS", error: null, slot: "b", trial: true, rootVersion: 1, targetsVersion: 1, images: { app: w.image("v2.bin") } });
    await simConfirm(device);
    expect(await simBoot(device)).toEqual({ slot: "b", trial: false, rootVersion: 1, targetsVersion: 1, images: { app: w.image("v2.bin") } });
  });

  it("rotates from the dev root to the prod root signed by the old and the new root keys", async () => {
    const device = await w.device("rotation");
    const bundle = await w.bundle("rotation.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root.bin", signers: ["prod-targets"] });
    const { code, json } = await simUpdate(device, bundle);
    expect(code).toBe(0);
    expect(json).toMatchObject({ result: "SUCCESS", rootVersion: 2, targetsVersion: 1, images: { app: w.image("v2.bin") } });
    await simConfirm(device);
    // The dev targets key is no longer trusted: the prod root named only the prod targets key.
    const devSigned = await w.bundle("after-rotation-dev.bundle", { version: 2, images: { app: "v3.bin" }, signers: ["dev-targets"] });
    await expectRefused(device, devSigned, "ERR_TARGETS_NOT_SIGNED");
    const prodSigned = await w.bundle("after-rotation-prod.bundle", { version: 2, images: { app: "v3.bin" }, signers: ["prod-targets"] });
    expect((await simUpdate(device, prodSigned)).json).toMatchObject({ result: "SUCCESS", rootVersion: 2, images: { app: w.image("v3.bin") } });
  });
});

describe("refused roots", () => {
  it("refuses a prod root signed only by the old root key, and keeps the dev root", async () => {
    const device = await w.device("old-only");
    const bundle = await w.bundle("old-only.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root-old-only.bin", signers: ["prod-targets"] });
    await expectRefused(device, bundle, "ERR_ROOT_NOT_SELF_SIGNED");
  });

  it("refuses a prod root signed only by the new root key (the trusted root never agreed)", async () => {
    const device = await w.device("new-only");
    const bundle = await w.bundle("new-only.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root-new-only.bin", signers: ["prod-targets"] });
    await expectRefused(device, bundle, "ERR_ROOT_NOT_SIGNED_BY_TRUSTED");
  });

  it("refuses a prod root whose new-key signature is corrupt", async () => {
    const device = await w.device("bad-new-sig");
    const bundle = await w.bundle("bad-new-sig.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root-bad-new-sig.bin", signers: ["prod-targets"] });
    await expectRefused(device, bundle, "ERR_ROOT_NOT_SELF_SIGNED");
  });

  it("refuses a prod root whose old-key signature is corrupt", async () => {
    const device = await w.device("bad-old-sig");
    const bundle = await w.bundle("bad-old-sig.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root-bad-old-sig.bin", signers: ["prod-targets"] });
    await expectRefused(device, bundle, "ERR_ROOT_NOT_SIGNED_BY_TRUSTED");
  });

  it("refuses a root rollback: after rotating to prod v2, a bundle carrying a properly signed prod root v1", async () => {
    const device = await w.device("root-rollback");
    const rotation = await w.bundle("root-rollback-rotation.bundle", { version: 1, images: { app: "v2.bin" }, root: "prod-root.bin", signers: ["prod-targets"] });
    expect((await simUpdate(device, rotation)).code).toBe(0);
    await simConfirm(device);
    const rollback = await w.bundle("root-rollback.bundle", { version: 2, images: { app: "v3.bin" }, root: "prod-root-v1.bin", signers: ["prod-targets"] });
    await expectRefused(device, rollback, "ERR_ROOT_ROLLBACK");
    expect((await simBoot(device)).rootVersion).toBe(2);
  });
});

describe("refused targets", () => {
  it("refuses a bundle whose targets signature is corrupt", async () => {
    const device = await w.device("bad-targets-sig");
    const good = await w.bundle("bad-targets-sig.good", { version: 1, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    await expectRefused(device, w.corruptTargetsSignature(good, "bad-targets-sig.bundle"), "ERR_TARGETS_NOT_SIGNED");
  });

  it("keeps a rotation root that verified even though the bundle's targets signature is corrupt", async () => {
    const device = await w.device("root-kept");
    const good = await w.bundle("root-kept.good", { version: 1, images: { app: "v2.bin" }, root: "prod-root.bin", signers: ["prod-targets"] });
    // Only the trusted root changes: same slot, same image, same targets version.
    await expectRefused(device, w.corruptTargetsSignature(good, "root-kept.bundle"), "ERR_TARGETS_NOT_SIGNED", { rootVersion: 2 });
  });

  it("refuses a targets rollback: v2 after v3 is installed", async () => {
    const device = await w.device("targets-rollback");
    const v3 = await w.bundle("targets-rollback-v3.bundle", { version: 3, images: { app: "v3.bin" }, signers: ["dev-targets"] });
    expect((await simUpdate(device, v3)).code).toBe(0);
    await simConfirm(device);
    const older = await w.bundle("targets-rollback-v2.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    await expectRefused(device, older, "ERR_TARGETS_ROLLBACK");
    expect(await simBoot(device)).toMatchObject({ slot: "b", targetsVersion: 3, images: { app: w.image("v3.bin") } });
  });

  const base = { version: 1, images: { app: "v2.bin" } };
  it("refuses a payload whose SHA-256 differs from the signed one", async () => {
    const device = await w.device("hash-mismatch");
    const bundle = await w.editedBundle("hash-mismatch.bundle", base, "dev-targets", (t) => ({
      ...t,
      targetFiles: t.targetFiles!.map((f) => ({ ...f, hashes: [{ function: 1, hash: Buffer.from(w.image("v3.bin"), "hex") }] })),
    }));
    await expectRefused(device, bundle, "ERR_TARGET_HASH_MISMATCH");
  });

  it("refuses a target listed without a hash", async () => {
    const device = await w.device("hash-missing");
    const bundle = await w.editedBundle("hash-missing.bundle", base, "dev-targets", (t) => ({ ...t, targetFiles: t.targetFiles!.map((f) => ({ ...f, hashes: [] })) }));
    await expectRefused(device, bundle, "ERR_TARGET_HASH_MISSING");
  });

  it("refuses a payload whose length differs from the signed one", async () => {
    const device = await w.device("length-mismatch");
    const bundle = await w.editedBundle("length-mismatch.bundle", base, "dev-targets", (t) => ({ ...t, targetFiles: t.targetFiles!.map((f) => ({ ...f, length: (f.length ?? 0) + 1 })) }));
    await expectRefused(device, bundle, "ERR_TARGET_LENGTH_MISMATCH");
  });
});

describe("personalized-out payloads", () => {
  it("accepts a payload left out when the device's manifest records exactly that image", async () => {
    const device = await w.device("personalized-same");
    const full = await w.bundle("personalized-same.full", { version: 1, images: { app: "v1.bin" }, signers: ["dev-targets"] });
    await ok("bundle", "personalize", "--remove", "app", "-o", w.at("personalized-same.bundle"), full);
    const { code, json } = await simUpdate(device, w.at("personalized-same.bundle"));
    expect(json.error).toBeNull();
    expect(code).toBe(0);
    expect(json).toMatchObject({ targetsVersion: 1, images: { app: w.image("v1.bin") } });
  });

  it("refuses a payload left out when the device runs another image, and changes nothing", async () => {
    const device = await w.device("personalized-other");
    const full = await w.bundle("personalized-other.full", { version: 1, images: { app: "v2.bin" }, signers: ["dev-targets"] });
    await ok("bundle", "personalize", "--remove", "app", "-o", w.at("personalized-other.bundle"), full);
    await expectRefused(device, w.at("personalized-other.bundle"), "ERR_PERSONALIZED_MISMATCH");
  });
});
