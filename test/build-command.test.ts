// `airlock build` as a firmware engineer runs it: a description and an ELF built with
// arm-none-eabi-gcc in, bundles and provenance out (files and artifact store), the bundle
// installing on the simulator; every refusal (rules, version, dev key on a user build, unknown
// target override, bad description) with the exit code of the CLI contract and nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvelope, TARGETS_METADATA_SUBJECT, verifyProvenance } from "../tools/build/index.js";
import { loadPublicKey, parseBundle } from "../tools/format/index.js";
import { buildFirmwareElf, FIRMWARE_FLASH_ORIGIN } from "./helpers/firmware-elf.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";

const dirs = scratchDirs("build-command");
afterAll(() => dirs.cleanup());
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let dir = "";
const at = (name: string) => join(dir, name);

function describeProduct(file: string, fields: Record<string, unknown> = {}): string {
  writeFileSync(at(file), JSON.stringify({
    product: "thermostat",
    hardwareId: "nordic,nrf52840",
    board: "nrf52840",
    targetsVersion: 5,
    buildType: "eng",
    targets: { app: { elf: "debug.elf", loadAddress: FIRMWARE_FLASH_ORIGIN } },
    rules: { forbiddenSymbols: ["debug_shell_*"], forbiddenStrings: ["DEBUG BUILD"], maxLogLevel: { symbol: "airlock_log_level", max: 2 } },
    ...fields,
  }));
  return at(file);
}

beforeAll(async () => {
  dir = dirs.make();
  buildFirmwareElf(dir, "debug", { logLevel: 4, banner: "DEBUG BUILD" });
  buildFirmwareElf(dir, "clean", { logLevel: 2, banner: "release", omitDebugShell: true });
  for (const key of ["builder", "dev", "root", "targets"]) expect((await airlock("keygen", at(key))).code).toBe(0);
});

const storeObjects = (store: string) => (existsSync(join(store, "objects/sha256")) ? readdirSync(join(store, "objects/sha256")) : []);

describe("airlock build", () => {
  it("writes the unsigned and dev-signed bundles and the provenance, stores them with their inputs, and the bundle installs", async () => {
    const description = describeProduct("eng.json");
    const build = await airlock("build", description, "--builder-key", at("builder"), "--dev-key", at("targets"), "--out-dir", at("out"), "--store", at("store"), "--json");
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    const record = JSON.parse(build.stdout) as { files: Record<string, { path: string; sha256: string }>; inputs: Record<string, { sha256: string }>; builderId: string };
    expect(Object.keys(record.files)).toEqual(["unsignedBundle", "devSignedBundle", "provenance"]);
    expect(Object.keys(record.inputs)).toEqual(["description:eng.json", "elf:app"]);
    expect(record.inputs["elf:app"]!.sha256).toBe(sha(readFileSync(at("debug.elf"))));
    const objects = storeObjects(at("store"));
    for (const o of [...Object.values(record.files), ...Object.values(record.inputs)]) expect(objects).toContain(o.sha256);
    for (const f of Object.values(record.files)) expect(sha(readFileSync(f.path))).toBe(f.sha256);

    const unsigned = parseBundle(readFileSync(record.files.unsignedBundle!.path));
    expect(unsigned.targets.hardwareId).toBe("nordic,nrf52840");
    const statement = verifyProvenance(parseEnvelope(readFileSync(record.files.provenance!.path, "utf8"), "provenance"), [loadPublicKey(at("builder.pub"))]);
    expect(statement.subject).toContainEqual({ name: TARGETS_METADATA_SUBJECT, digest: { sha256: sha(unsigned.targetsSerialized) } });
    expect(statement.predicate.runDetails.builder.id).toBe(record.builderId);
    expect(statement.predicate.buildDefinition.externalParameters).toMatchObject({ product: "thermostat", buildType: "eng", description: { digest: { sha256: sha(readFileSync(description)) } } });

    // The dev-signed bundle installs on a device whose root trusts the dev targets key.
    expect((await airlock("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"))).code).toBe(0);
    expect((await airlock("root", "sign", "--key", at("root"), at("root.bin"))).code).toBe(0);
    writeFileSync(at("factory.bin"), Buffer.alloc(4096, 1));
    expect((await airlock("sim", "init", "--flash", at("dev.flash"), "--board", "nrf52840", "--root", at("root.bin"), `app=${at("factory.bin")}`)).code).toBe(0);
    const update = await airlock("sim", "update", "--flash", at("dev.flash"), record.files.devSignedBundle!.path, "--json");
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ result: "SUCCESS", targetsVersion: 5 });
  });

  it("records the git commit of the checkout the description is in, and warns when it has uncommitted changes", async () => {
    const repo = dirs.make();
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { encoding: "utf8" }).trim();
    git("init", "-q");
    writeFileSync(join(repo, "product.json"), readFileSync(describeProduct("git.json", { targets: { app: { elf: join(dir, "debug.elf"), loadAddress: FIRMWARE_FLASH_ORIGIN } } })));
    git("add", "product.json");
    git("commit", "-q", "-m", "product");
    const commit = git("rev-parse", "HEAD");
    const build = await airlock("build", join(repo, "product.json"), "--builder-key", at("builder"), "--out-dir", join(repo, "out"), "--store", join(repo, "store"));
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toMatch(/no --dev-key: no dev-signed bundle/);
    const envelope = parseEnvelope(readFileSync(join(repo, "out", "thermostat-5.provenance.json"), "utf8"), "provenance");
    const dependencies = verifyProvenance(envelope, [loadPublicKey(at("builder.pub"))]).predicate.buildDefinition.resolvedDependencies;
    expect(dependencies?.[0]).toEqual({ uri: expect.stringMatching(/^git\+file:\/\//), digest: { gitCommit: commit } });

    writeFileSync(join(repo, "product.json"), readFileSync(join(repo, "product.json"), "utf8").replace('"targetsVersion":5', '"targetsVersion":6'));
    const dirty = await airlock("build", join(repo, "product.json"), "--builder-key", at("builder"), "--out-dir", join(repo, "out"), "--store", join(repo, "store"));
    expect(dirty.code).toBe(0);
    expect(dirty.stderr).toMatch(/uncommitted changes: the provenance names commit/);
  });

  it("refuses a user build with every failing rule, its target and evidence, and writes nothing", async () => {
    const description = describeProduct("user.json", { buildType: "user" });
    const build = await airlock("build", description, "--builder-key", at("builder"), "--out-dir", at("user-out"), "--store", at("user-store"));
    expect(build.code).toBe(1);
    expect(build.stderr).toMatch(/build refused by 3 rule failure\(s\)/);
    expect(build.stderr).toMatch(/forbidden-symbol \[app\]: debug_shell_start at 0x0800/);
    expect(build.stderr).toMatch(/forbidden-string \[app\]: "DEBUG BUILD" at image offset \d+ \(address 0x0800/);
    expect(build.stderr).toMatch(/max-log-level \[app\]: airlock_log_level at 0x2000[0-9a-f]{4} is 4, at most 2 allowed/);
    expect(existsSync(at("user-out"))).toBe(false);
    expect(storeObjects(at("user-store"))).toEqual([]);

    // The clean firmware passes as a user build (given by --target, as CMake does).
    const clean = await airlock("build", description, "--target", `app=${at("clean.elf")}`, "--builder-key", at("builder"), "--out-dir", at("user-out"), "--store", at("user-store"));
    expect(clean.code, clean.stderr).toBe(0);
  });

  it("refuses a version not above the last release, from --last-released or a release record", async () => {
    const description = describeProduct("eng.json");
    const base = ["build", description, "--builder-key", at("builder"), "--out-dir", at("v-out"), "--store", at("v-store")];
    expect((await airlock(...base, "--last-released", "5")).stderr).toMatch(/version-rises \[\*\]: targets version 5 is not above 5/);
    writeFileSync(at("release.json"), JSON.stringify({ product: "thermostat", targetsVersion: 7 }));
    expect((await airlock(...base, "--release-record", at("release.json"))).code).toBe(1);
    writeFileSync(at("other.json"), JSON.stringify({ product: "doorbell", targetsVersion: 1 }));
    expect((await airlock(...base, "--release-record", at("other.json"))).stderr).toMatch(/records product "doorbell", the description builds "thermostat"/);
    expect((await airlock(...base, "--last-released", "4")).code).toBe(0);
  });

  it("answers bad input with exit 2 and the fix", async () => {
    const description = describeProduct("eng.json");
    const user = describeProduct("user2.json", { buildType: "user", targets: { app: { elf: "clean.elf", loadAddress: FIRMWARE_FLASH_ORIGIN } } });
    const out = ["--out-dir", at("bad-out"), "--store", at("bad-store")];
    const cases: Array<[string[], RegExp]> = [
      [["build", user, "--builder-key", at("builder"), "--dev-key", at("dev"), ...out], /only eng builds are dev-signed/],
      [["build", description, "--builder-key", at("builder"), "--target", "bootloader=x.elf", ...out], /names no target of .*; its targets are app/],
      [["build", description, "--builder-key", at("builder"), "--target", "app", ...out], /expected NAME=FILE/],
      [["build", description, "--builder-key", at("builder.pub"), ...out], /not a PEM private key/],
      [["build", describeProduct("typo.json", { buildTyp: "eng" }), "--builder-key", at("builder"), ...out], /unknown field "buildTyp"/],
      [["build", describeProduct("missing.json", { targets: { app: { elf: "nope.elf" } } }), "--builder-key", at("builder"), ...out], /nope\.elf/],
      [["build", describeProduct("noboard.json", { board: "nrf99" }), "--builder-key", at("builder"), ...out], /unknown board "nrf99"/],
      [["build", description, ...out], /required option '--builder-key <priv>'/],
    ];
    for (const [args, message] of cases) {
      const run = await airlock(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
    }
    writeFileSync(at("corrupt.elf"), Buffer.from("\x7fELF garbage"));
    const corrupt = await airlock("build", describeProduct("corrupt.json", { targets: { app: { elf: "corrupt.elf" } } }), "--builder-key", at("builder"), ...out);
    expect(corrupt.code).toBe(2);
    expect(existsSync(at("bad-out"))).toBe(false);
  });
});
