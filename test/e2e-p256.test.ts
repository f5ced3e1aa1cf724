// P-256 through the CLI, as a team on Pigweed's tooling would use it: keys from `airlock keygen
// --type p256` and from openssl, a root and a bundle signed with them, inspected (type shown),
// verified with the device's agent and installed on a simulated device.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { firmware, ok, sha256 } from "./helpers/e2e-world.js";

const dirs = scratchDirs("p256");
afterAll(() => dirs.cleanup());

describe("P-256 keys end to end", () => {
  it("keygen --type p256 and openssl keys sign a root and a bundle that installs", async () => {
    const dir = dirs.make();
    const at = (n: string) => join(dir, n);
    const keygen = JSON.parse((await ok("keygen", "--type", "p256", at("root"), "--json")).stdout) as { type: string };
    expect(keygen.type).toBe("p256");
    execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", at("targets")]);
    execFileSync("openssl", ["pkey", "-in", at("targets"), "-pubout", "-out", at("targets.pub")]);
    await ok("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"));
    await ok("root", "sign", "--key", at("root"), at("root.bin"));
    const inspect = JSON.parse((await ok("root", "inspect", at("root.bin"), "--json")).stdout) as { keys: { type: string }[] };
    expect(inspect.keys.map((k) => k.type)).toEqual(["p256", "p256"]);
    writeFileSync(at("v1.bin"), firmware("p256 v1", 20_000));
    writeFileSync(at("v2.bin"), firmware("p256 v2", 30_000));
    await ok("sim", "init", "--flash", at("dev.flash"), "--root", at("root.bin"), `app=${at("v1.bin")}`);
    await ok("bundle", "create", "-o", at("u.bundle"), "--targets-version", "2", `app=${at("v2.bin")}`);
    await ok("bundle", "sign", "--key", at("targets"), at("u.bundle"));
    await ok("bundle", "verify", "--trusted-root", at("root.bin"), at("u.bundle"));
    const update = JSON.parse((await ok("sim", "update", "--flash", at("dev.flash"), at("u.bundle"), "--json")).stdout) as { images: { app: string } };
    expect(update.images.app).toBe(sha256(firmware("p256 v2", 30_000)));
    // Signed with the root key instead: refused by the device's agent.
    await ok("bundle", "create", "-o", at("bad.bundle"), "--targets-version", "3", `app=${at("v1.bin")}`);
    await ok("bundle", "sign", "--key", at("root"), at("bad.bundle"));
    const refused = await airlock("bundle", "verify", "--trusted-root", at("root.bin"), at("bad.bundle"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ERR_TARGETS_NOT_SIGNED");
  });
});
