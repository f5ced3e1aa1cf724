// Interop with Pigweed's tools: a bundle built the way pw_software_update's update_bundle.py and
// dev_sign.py build one (board/native/pigweed-fixtures.ts: one protobuf encoding of the whole
// UpdateBundle, so the root comes last, field 5; targets `file1`, `file2` and `user_manifest` as
// Pigweed's test bundles carry; no hardware ID; ECDSA P-256), here from keys made by openssl. It
// must verify and install on a device whose board file (given by path) has those targets.
// test/board-pigweed.test.ts sends the same kind of bundle to the board firmware.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPublicKey, loadSigningKey, parseBundle } from "../tools/format/index.js";
import { pigweedBoardPath, pigweedBundle } from "../board/native/pigweed-fixtures.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { firmware, ok } from "./helpers/e2e-world.js";

const dirs = scratchDirs("pigweed-p256");
afterAll(() => dirs.cleanup());
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();

describe("a Pigweed-built P-256 bundle", () => {
  it("installs file1, file2 and the user manifest on the simulated device", async () => {
    const dir = dirs.make();
    const at = (n: string) => join(dir, n);
    const board = pigweedBoardPath("nrf52840");
    for (const name of ["root", "targets"]) {
      execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", at(name)]);
      execFileSync("openssl", ["pkey", "-in", at(name), "-pubout", "-out", at(`${name}.pub`)]);
    }
    await ok("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"));
    await ok("root", "sign", "--key", at("root"), at("root.bin"));
    for (const [name, label] of [["app", "app v1"], ["file1", "file1 v1"], ["file2", "file2 v1"]]) writeFileSync(at(`${name}.v1`), firmware(label!, 9000));
    await ok("sim", "init", "--flash", at("dev.flash"), "--board", board, "--root", at("root.bin"), `app=${at("app.v1")}`, `file1=${at("file1.v1")}`, `file2=${at("file2.v1")}`);

    const payloads: Record<string, Uint8Array> = {
      file1: firmware("file1 v2", 12_345),
      file2: firmware("file2 v2", 7_777),
      user_manifest: new TextEncoder().encode("pigweed user manifest v2"),
    };
    // The keys as dev_sign.py uses them: P-256, key ID SHA-256(KeyType 3 || KeyScheme 3 || SEC1 point).
    const key = loadSigningKey(at("targets"));
    expect(Buffer.from(key.keyId)).toEqual(sha(Buffer.concat([Buffer.of(3, 3), key.raw])));
    expect(loadPublicKey(at("targets.pub")).type).toBe("p256");
    const bundle = pigweedBundle({ root: readFileSync(at("root.bin")), targetsKey: key, targetsVersion: 2, payloads });
    expect(parseBundle(bundle).targetsSigned.signatures?.[0]?.sig?.length).toBe(64); // raw r || s, not DER
    writeFileSync(at("pigweed.bundle"), bundle);

    await ok("bundle", "verify", "--trusted-root", at("root.bin"), "--board", board, at("pigweed.bundle"));
    const update = await ok("sim", "update", "--flash", at("dev.flash"), at("pigweed.bundle"), "--json");
    expect(update.stderr).toMatch(/reorder/); // the root travels first to a device: sent reordered
    const report = JSON.parse(update.stdout) as { result: string; images: Record<string, string>; userManifest?: { length: number; sha256: string } };
    expect(report.result).toBe("SUCCESS");
    expect(report.images.file1).toBe(sha(payloads.file1!).toString("hex"));
    expect(report.images.file2).toBe(sha(payloads.file2!).toString("hex"));
    expect(report.images.app).toBe(sha(firmware("app v1", 9000)).toString("hex")); // not in the bundle: kept
    expect(report.userManifest).toEqual({ length: payloads.user_manifest!.length, sha256: sha(payloads.user_manifest!).toString("hex") });
  });
});
