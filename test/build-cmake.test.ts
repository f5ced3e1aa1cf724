// cmake/airlock.cmake on a real firmware build: a small bare-metal Cortex-M firmware configured
// with Debian's CMake and built with arm-none-eabi-gcc calls airlock_add_bundle, and the build
// produces the bundle whose app image is the ELF's loadable bytes, provenance that the builder key
// verifies and whose subjects are those bytes, and the objects in the artifact store. Touching the
// firmware source rebuilds the bundle; a user build with a debug symbol fails the CMake build with
// the rule's evidence. The firmware build's SBOM is passed through and named in the provenance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnvelope, parseElf, slotImage, TARGETS_METADATA_SUBJECT, verifyProvenance } from "../tools/build/index.js";
import { loadPublicKey, parseBundle } from "../tools/format/index.js";
import { FIRMWARE_C, FIRMWARE_FLASH_ORIGIN, FIRMWARE_LINKER_SCRIPT, requireArmToolchain } from "./helpers/firmware-elf.js";
import { BIN, airlock, scratchDirs } from "./helpers/cli-run.js";

const dirs = scratchDirs("cmake");
afterAll(() => dirs.cleanup());
const CMAKE_MODULE = fileURLToPath(new URL("../cmake/airlock.cmake", import.meta.url));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function requireCmake(): void {
  if (spawnSync("cmake", ["--version"]).status !== 0) throw new Error("cmake is not installed: apt-get install cmake (as .ci/run does)");
}

function cmake(args: string[], cwd: string) {
  const run = spawnSync("cmake", args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A firmware project: CMakeLists.txt, a toolchain file, the source, the linker script, the description. */
async function project(buildType: "eng" | "user"): Promise<string> {
  const dir = dirs.make();
  writeFileSync(join(dir, "app.c"), FIRMWARE_C);
  writeFileSync(join(dir, "app.ld"), FIRMWARE_LINKER_SCRIPT);
  writeFileSync(join(dir, "arm-none-eabi.cmake"), [
    "set(CMAKE_SYSTEM_NAME Generic)",
    "set(CMAKE_SYSTEM_PROCESSOR arm)",
    "set(CMAKE_C_COMPILER arm-none-eabi-gcc)",
    "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)",
    "",
  ].join("\n"));
  writeFileSync(join(dir, "CMakeLists.txt"), [
    "cmake_minimum_required(VERSION 3.19)",
    "project(thermostat C)",
    `include(${JSON.stringify(CMAKE_MODULE)})`,
    "add_executable(firmware app.c)",
    "target_compile_options(firmware PRIVATE -mcpu=cortex-m3 -mthumb -Os -DLOG_LEVEL=2 \"-DBANNER=\\\"release\\\"\")",
    "target_link_options(firmware PRIVATE -mcpu=cortex-m3 -mthumb -nostdlib -nostartfiles -e reset_handler -T${CMAKE_CURRENT_SOURCE_DIR}/app.ld)",
    "set_target_properties(firmware PROPERTIES SUFFIX .elf)",
    "airlock_add_bundle(firmware_bundle",
    "  TARGET firmware",
    "  DESCRIPTION product.json",
    "  BUILDER_KEY builder",
    "  BUILDER_ID https://ci.example.com/builders/cmake",
    "  SBOM firmware.cdx.json",
    "  DEV_KEY dev)",
    "",
  ].join("\n"));
  writeFileSync(join(dir, "product.json"), JSON.stringify({
    product: "thermostat",
    hardwareId: "nordic,nrf52840",
    board: "nrf52840",
    targetsVersion: 4,
    buildType,
    targets: { app: { elf: "not-used-cmake-passes-the-elf.elf", loadAddress: FIRMWARE_FLASH_ORIGIN } },
    rules: { forbiddenSymbols: ["debug_shell_*"], requiredSymbols: ["airlock_confirm_hook"] },
  }, null, 2));
  // The firmware build's SBOM, passed through to airlock build --sbom.
  writeFileSync(join(dir, "firmware.cdx.json"), JSON.stringify({
    bomFormat: "CycloneDX", specVersion: "1.6", version: 1,
    components: [{ type: "library", name: "mbedtls", version: "3.6.2", purl: "pkg:github/Mbed-TLS/mbedtls@v3.6.2" }],
  }));
  for (const key of ["builder", "dev"]) expect((await airlock("keygen", join(dir, key))).code).toBe(0);
  return dir;
}

function configureAndBuild(dir: string) {
  // The airlock command as a CMake list: node and this checkout's bin (what a team sets when
  // airlock is not on PATH).
  const configure = cmake(["-S", dir, "-B", join(dir, "out"), "-G", "Unix Makefiles", `-DCMAKE_TOOLCHAIN_FILE=${join(dir, "arm-none-eabi.cmake")}`, `-DAIRLOCK_COMMAND=${process.execPath};${BIN}`], dir);
  expect(configure.code, configure.output).toBe(0);
  return cmake(["--build", join(dir, "out")], dir);
}

beforeAll(() => {
  requireArmToolchain();
  requireCmake();
});

describe("cmake/airlock.cmake", () => {
  it("builds the bundle and provenance after the firmware links, and again when the firmware changes", async () => {
    const dir = await project("eng");
    const built = configureAndBuild(dir);
    expect(built.code, built.output).toBe(0);
    expect(built.output).toMatch(/airlock build thermostat targets version 4 \(eng\)/);
    const out = join(dir, "out", "firmware_bundle");
    const elf = readFileSync(join(dir, "out", "firmware.elf"));
    const image = slotImage(parseElf(elf, "firmware.elf"), "firmware.elf");
    expect(image.loadAddress).toBe(FIRMWARE_FLASH_ORIGIN);

    const bundle = parseBundle(readFileSync(join(out, "thermostat-4.bundle")));
    expect(Buffer.from(bundle.payloads.app!)).toEqual(Buffer.from(image.bytes));
    expect(bundle.targetsSigned.signatures ?? []).toHaveLength(0);
    const dev = parseBundle(readFileSync(join(out, "thermostat-4.dev.bundle")));
    expect(dev.targetsSigned.signatures).toHaveLength(1);

    const envelope = parseEnvelope(readFileSync(join(out, "thermostat-4.provenance.json"), "utf8"), "provenance");
    const statement = verifyProvenance(envelope, [loadPublicKey(join(dir, "builder.pub"))]);
    expect(statement.predicate.runDetails.builder.id).toBe("https://ci.example.com/builders/cmake");
    expect(statement.subject).toEqual([
      { name: "app", digest: { sha256: sha(image.bytes) } },
      { name: TARGETS_METADATA_SUBJECT, digest: { sha256: sha(bundle.targetsSerialized) } },
    ]);
    expect(statement.predicate.buildDefinition.resolvedDependencies).toContainEqual({ name: "elf:app", digest: { sha256: sha(elf) } });
    expect(statement.predicate.buildDefinition.resolvedDependencies).toContainEqual({ name: "sbom", digest: { sha256: sha(readFileSync(join(dir, "firmware.cdx.json"))) }, mediaType: "application/vnd.cyclonedx+json" });
    const record = JSON.parse(readFileSync(join(out, "thermostat-4.build.json"), "utf8")) as { files: Record<string, { sha256: string }> };
    for (const file of Object.values(record.files)) expect(existsSync(join(dir, "out", "airlock-store", "objects", "sha256", file.sha256))).toBe(true);

    // Nothing changed: make does not run airlock again. A changed source: it does.
    const stamp = statSync(join(out, "thermostat-4.bundle")).mtimeMs;
    const again = cmake(["--build", join(dir, "out")], dir);
    expect(again.output).not.toMatch(/airlock build/);
    writeFileSync(join(dir, "app.c"), `${FIRMWARE_C}\nint extra_feature = 3;\n`);
    const future = new Date(Date.now() + 2000);
    utimesSync(join(dir, "app.c"), future, future);
    const rebuilt = cmake(["--build", join(dir, "out")], dir);
    expect(rebuilt.code, rebuilt.output).toBe(0);
    expect(rebuilt.output).toMatch(/airlock build thermostat/);
    expect(statSync(join(out, "thermostat-4.bundle")).mtimeMs).toBeGreaterThan(stamp);
  }, 120_000);

  it("fails the firmware build when a user build breaks a rule, naming the rule and the symbol", async () => {
    const dir = await project("user");
    // A user build is never dev-signed: drop DEV_KEY, keep the debug shell in the firmware.
    writeFileSync(join(dir, "CMakeLists.txt"), readFileSync(join(dir, "CMakeLists.txt"), "utf8").replace("  DEV_KEY dev)", ")"));
    const built = configureAndBuild(dir);
    expect(built.code).not.toBe(0);
    expect(built.output).toMatch(/forbidden-symbol \[app\]: debug_shell_start at 0x0800[0-9a-f]{4} \(matches debug_shell_\*\)/);
    expect(existsSync(join(dir, "out", "firmware_bundle", "thermostat-4.bundle"))).toBe(false);
  }, 120_000);
});
