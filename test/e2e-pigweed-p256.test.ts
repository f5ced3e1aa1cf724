// Interop with Pigweed's tools: a bundle built the way pw_software_update's update_bundle.py and
// dev_sign.py build one, reproduced here from the protos and keys.py's rules rather than with
// airlock's own bundle writer: one protobuf encoding of the whole UpdateBundle (so the root comes
// last, field 5), targets `file1`, `file2` and `user_manifest` as Pigweed's test bundles carry,
// no hardware ID, and ECDSA P-256 signatures (raw r || s over the serialized metadata, key IDs
// SHA-256(type || scheme || keyval)) from keys made by openssl. It must verify and install on a
// device whose board file (given by path) has those targets.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encode, loadPublicKey, loadSigningKey, schema, signBytes, SPEC_VERSION } from "../tools/format/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { firmware, ok } from "./helpers/e2e-world.js";

const dirs = scratchDirs("pigweed-p256");
afterAll(() => dirs.cleanup());
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest();

/** nrf52840 with its app slots split three ways: app, file1, file2 (Pigweed's test targets). */
function pigweedBoard(path: string): void {
  const board = JSON.parse(readFileSync(fileURLToPath(new URL("../board/nrf52840.json", import.meta.url)), "utf8"));
  const app = board.partitions.targets[0];
  const third = Math.floor(app.slotSize / 3 / 4096) * 4096;
  board.name = "nrf52840-pigweed-targets";
  board.partitions.targets = ["app", "file1", "file2"].map((name, i) => ({ name, slotA: app.slotA + i * third, slotB: app.slotB + i * third, slotSize: third }));
  writeFileSync(path, JSON.stringify(board, null, 2));
}

describe("a Pigweed-built P-256 bundle", () => {
  it("installs file1, file2 and the user manifest on the simulated device", async () => {
    const dir = dirs.make();
    const at = (n: string) => join(dir, n);
    for (const name of ["root", "targets"]) {
      execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", at(name)]);
      execFileSync("openssl", ["pkey", "-in", at(name), "-pubout", "-out", at(`${name}.pub`)]);
    }
    pigweedBoard(at("board.json"));
    await ok("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"));
    await ok("root", "sign", "--key", at("root"), at("root.bin"));
    for (const [name, label] of [["app", "app v1"], ["file1", "file1 v1"], ["file2", "file2 v1"]]) writeFileSync(at(`${name}.v1`), firmware(label!, 9000));
    await ok("sim", "init", "--flash", at("dev.flash"), "--board", at("board.json"), "--root", at("root.bin"), `app=${at("app.v1")}`, `file1=${at("file1.v1")}`, `file2=${at("file2.v1")}`);

    // update_bundle.py: TargetsMetadata listing each file (name, length, SHA-256) ...
    const s = schema();
    const payloads: Record<string, Uint8Array> = {
      file1: firmware("file1 v2", 12_345),
      file2: firmware("file2 v2", 7_777),
      user_manifest: new TextEncoder().encode("pigweed user manifest v2"),
    };
    const targets = encode(s.TargetsMetadata, {
      commonMetadata: { specVersion: SPEC_VERSION, version: 2, role: "targets" },
      targetFiles: Object.entries(payloads).map(([fileName, data]) => ({ fileName, length: data.length, hashes: [{ function: s.enums.hashSha256, hash: sha(data) }] })),
    });
    // ... dev_sign.py: signed with the P-256 targets key (keys.py create_ecdsa_signature) ...
    const key = loadSigningKey(at("targets"));
    const signature = { keyId: key.keyId, sig: signBytes(key, targets) };
    expect(signature.sig.length).toBe(64);
    expect(Buffer.from(key.keyId)).toEqual(sha(Buffer.concat([Buffer.of(3, 3), key.raw])));
    expect(loadPublicKey(at("targets.pub")).type).toBe("p256");
    // ... and the whole UpdateBundle encoded at once, with the root (field 5) after the payloads.
    const bundle = encode(s.UpdateBundle, {
      targetsMetadata: { targets: { serializedTargetsMetadata: targets, signatures: [signature] } },
      targetPayloads: payloads,
      rootMetadata: s.SignedRootMetadata.decode(readFileSync(at("root.bin"))),
    });
    writeFileSync(at("pigweed.bundle"), bundle);

    await ok("bundle", "verify", "--trusted-root", at("root.bin"), "--board", at("board.json"), at("pigweed.bundle"));
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
