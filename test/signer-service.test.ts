// The signing service's guards, each a test that fails if its guard is removed: authentication,
// grants (identity, product, build type), production signing only for endorsed, re-checked,
// rising, qualified and approved user builds, freshness and replay, idempotency, approvals
// counted once per person, root signing by M-of-N approvers, body limits, a concurrent burst, and
// the audit log of all of it. Signatures are checked with node:crypto through tools/format.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { provenanceStatement, signProvenance, TARGETS_METADATA_SUBJECT } from "../tools/build/index.js";
import { createBundle, createRoot, loadPublicKey, loadSigningKey, parseBundle, parseRoot, verifyBytes } from "../tools/format/index.js";
import { verifyAuditText } from "../tools/signer/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { policyYaml, SignerWorld, type Build } from "./helpers/signer-world.js";

const dirs = scratchDirs("signer");
afterAll(() => dirs.cleanup());
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let world: SignerWorld;
async function startWorld(policy = policyYaml()) {
  world = new SignerWorld(dirs.make());
  await world.setUp(policy);
  await world.start();
}
afterEach(async () => world?.stop());

/** The signed bundle's new signature verifies with the production key's public half. */
function expectSignedBy(file: string | undefined, keyFile: string) {
  const bundle = parseBundle(Buffer.from(file ?? "", "base64"));
  const key = loadPublicKey(world.at(keyFile));
  const sig = bundle.targetsSigned.signatures?.find((s) => Buffer.from(s.keyId!).equals(Buffer.from(key.keyId)));
  expect(sig).toBeDefined();
  expect(verifyBytes(key.raw, bundle.targetsSerialized, sig!.sig!)).toBe(true);
}

const refusal = (r: { status: number; body: { error?: { message: string } } }) => ({ status: r.status, message: r.body.error?.message ?? "" });

describe("signing service: who may ask", () => {
  beforeEach(() => startWorld());

  it("refuses a request without a token or with an unknown token, and audits it", async () => {
    const build = await world.build(2);
    expect((await world.call(undefined, "POST", "/v1/targets/sign", world.targetsBody(build))).status).toBe(401);
    expect((await world.call("airlock_not-a-token", "POST", "/v1/targets/sign", world.targetsBody(build))).status).toBe(401);
    const log = readFileSync(world.at("audit.log"), "utf8");
    expect(log).toMatch(/"identity":"\(unauthenticated\)"/);
  });

  it("refuses an identity without a grant for the key, another product, and a build type outside the grant", async () => {
    const build = await world.build(2);
    expect(refusal(await world.call("alice", "POST", "/v1/targets/sign", world.targetsBody(build)))).toEqual({ status: 403, message: 'identity alice may not use key "prod-targets" for user builds of thermostat' });
    const doorbell = await world.build(2, "user", "clean.elf", "doorbell");
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(doorbell, { product: "doorbell" }))).message).toMatch(/may not use key "prod-targets" for user builds of doorbell/);
    expect(refusal(await world.call("bob", "POST", "/v1/targets/sign", world.targetsBody(build, { key: "test-targets" }))).message).toMatch(/bob lacks the requester role/);
  });

  it("signs with a test key automatically for an allowed identity, eng or user", async () => {
    const eng = await world.build(2, "eng", "debug.elf");
    const signed = await world.call("alice", "POST", "/v1/targets/sign", world.targetsBody(eng, { key: "test-targets" }));
    expect(signed.status).toBe(200);
    expectSignedBy(signed.body.file, "test-targets.pem.pub");
    // Without provenance the request names its build type; a test key takes the requester's word.
    const bare = await world.call("alice", "POST", "/v1/targets/sign", world.targetsBody(eng, { key: "test-targets", provenance: undefined, buildType: "eng" }));
    expect(bare.status).toBe(200);
  });
});

describe("signing service: production keys", () => {
  beforeEach(() => startWorld());

  it("sign a validated, endorsed user build with a rising version, then refuse the same version again", async () => {
    const build = await world.build(3);
    const signed = await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build));
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expectSignedBy(signed.body.file, "prod-targets.pem.pub");
    expect(world.service.state.ledger("thermostat")).toMatchObject([{ targets_version: 3, key: "prod-targets" }]);
    const again = await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(await world.build(3)));
    expect(refusal(again)).toEqual({ status: 403, message: "targets version 3 of thermostat is not above 3, the last production-signed one" });
    const lower = await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(await world.build(2)));
    expect(lower.status).toBe(403);
    expect((await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(await world.build(4)))).status).toBe(200);
  });

  it("refuse an eng build, and a build without provenance", async () => {
    const eng = await world.build(3, "eng");
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(eng))).message).toMatch(/may not use key "prod-targets" for eng builds/);
    const build = await world.build(3);
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build, { provenance: undefined, buildType: "user" }))).message).toMatch(/signs only builds with provenance from a listed builder/);
    // A request claiming user for eng provenance is caught by the provenance.
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(eng, { buildType: "user" }))).message).toMatch(/says a user build, its provenance a eng build/);
  });

  it("re-run the rules on the stored ELF: a user build with a debug symbol is refused even with valid provenance", async () => {
    // A builder that skipped the rules: the debug firmware as a "user" build, endorsed by the
    // trusted builder key. Its description and ELF are in the store, as airlock build leaves them.
    const eng = await world.build(3, "eng", "debug.elf");
    const parsed = parseBundle(eng.bundle);
    const elf = readFileSync(world.at("debug.elf"));
    const description = JSON.parse(readFileSync(world.at("thermostat-3-eng.json"), "utf8"));
    const descriptionBytes = Buffer.from(JSON.stringify({ ...description, buildType: "user" }));
    const { ArtifactStore } = await import("../tools/store/index.js");
    new ArtifactStore(world.at("store")).put(descriptionBytes);
    const statement = provenanceStatement({
      subjects: [{ name: "app", digest: { sha256: sha(parsed.payloads.app!) } }, { name: TARGETS_METADATA_SUBJECT, digest: { sha256: sha(parsed.targetsSerialized) } }],
      builderId: "https://ci.example.com/builders/firmware",
      description: { path: "thermostat.json", sha256: sha(descriptionBytes) },
      product: "thermostat", buildType: "user", inputs: [{ name: "elf:app", sha256: sha(elf) }],
      startedOn: new Date(), finishedOn: new Date(), invocationId: "skipped-rules",
    });
    const forged: Build = { ...eng, provenance: signProvenance(statement, loadSigningKey(world.at("builder.pem"))) };
    const refused = refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(forged)));
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/fails its rules at signing time: forbidden-symbol \[app\]: debug_shell_start at 0x0800[0-9a-f]{4}/);
    expect(refused.message).toMatch(/max-log-level \[app\]: airlock_log_level at 0x2000[0-9a-f]{4} is 4/);
  });

  it("refuse provenance by an unknown builder, provenance for other bytes, and a bundle changed after the build", async () => {
    const build = await world.build(3);
    const other = await world.build(4);
    const rogue = { ...build, provenance: signProvenance(JSON.parse(Buffer.from(build.provenance.payload, "base64").toString()), loadSigningKey(world.at("rogue-builder.pem"))) };
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(rogue))).message).toMatch(/provenance refused: .*(no signature|not signed|trusted)/i);
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody({ ...build, provenance: other.provenance }))).message).toMatch(/does not endorse these bytes: targets_metadata/);
    // Same targets metadata, other payload bytes: the payload no longer matches its digest.
    const parsed = parseBundle(build.bundle);
    const tampered = Buffer.from(build.bundle);
    const at = tampered.indexOf(Buffer.from(parsed.payloads.app!));
    tampered[at + 10] ^= 0xff;
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody({ ...build, bundle: tampered }))).message).toMatch(/payload app does not match the digest .*changed after the build/);
    // Other metadata that claims the same payload digests but another hardware: refused by product.
    const rebuilt = createBundle({ targetsVersion: 3, payloads: [{ name: "app", data: parsed.payloads.app! }], hardwareId: "other,board" });
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody({ ...build, bundle: rebuilt }))).message).toMatch(/is for hardware "other,board"/);
  });

  it("require the policy's qualification records, signed by a listed qualifier, for these exact bytes", async () => {
    await world.stop();
    world = new SignerWorld(dirs.make());
    await world.setUp(policyYaml({ qualification: ["simulator", "boards"] }));
    await world.start();
    const build = await world.build(3);
    const other = await world.build(4);
    const ask = (qualification: unknown[]) => world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build, { qualification }));
    expect(refusal(await ask([])).message).toMatch(/suite\(s\) simulator, boards/);
    expect(refusal(await ask([world.qualify(build, "simulator")])).message).toMatch(/suite\(s\) boards of this build/);
    expect(refusal(await ask([world.qualify(build, "simulator"), world.qualify(other, "boards")])).message).toMatch(/suite\(s\) boards of this build/);
    expect(refusal(await ask([world.qualify(build, "simulator"), world.qualify(build, "boards", "rogue-builder.pem")])).message).toMatch(/suite\(s\) boards of this build/);
    expect((await ask([world.qualify(build, "simulator"), world.qualify(build, "boards")])).status).toBe(200);
  });
});

describe("signing service: approvals", () => {
  beforeEach(() => startWorld(policyYaml({ approvals: 2 })));

  it("wait for two distinct approvers, count one person once, and refuse self-approval", async () => {
    const build = await world.build(3);
    const body = world.targetsBody(build);
    const pending = await world.call("ci", "POST", "/v1/targets/sign", body);
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: "pending", needed: 2, approvals: [] });
    const id = body.requestId as string;
    expect((await world.call("alice", "POST", `/v1/requests/${id}/approve`)).status).toBe(403); // not an approver
    expect((await world.call("bob", "POST", `/v1/requests/${id}/approve`)).body).toMatchObject({ status: "pending", approvals: ["bob"] });
    const twice = await world.call("bob", "POST", `/v1/requests/${id}/approve`);
    expect(refusal(twice)).toEqual({ status: 409, message: `bob has already approved request ${id}; one person counts once` });
    expect((await world.call("ci", "GET", `/v1/requests/${id}`)).body).toMatchObject({ status: "pending", approvals: ["bob"] });
    const done = await world.call("carol", "POST", `/v1/requests/${id}/approve`);
    expect(done.status).toBe(200);
    expect(done.body.approvals).toEqual(["bob", "carol"]);
    expectSignedBy(done.body.file, "prod-targets.pem.pub");
    expect((await world.call("ci", "GET", `/v1/requests/${id}`)).body.status).toBe("signed");
  });

  it("sign root metadata only on request of an approver, with two other approvers, showing its keys and threshold", async () => {
    const root = createRoot({ rootKeys: [loadPublicKey(world.at("root-a.pem.pub"))], targetsKeys: [loadPublicKey(world.at("prod-targets.pem.pub"))], version: 2 });
    const body = { requestId: "root-rotation-2", nonce: "n".repeat(24), expiresAt: new Date(Date.now() + 60_000).toISOString(), key: "root-a", root: Buffer.from(root).toString("base64") };
    expect(refusal(await world.call("ci", "POST", "/v1/root/sign", body)).message).toMatch(/ci lacks the approver role: only approvers ask for root signatures/);
    const asked = await world.call("dave", "POST", "/v1/root/sign", { ...body, requestId: "root-rotation-2b", nonce: "m".repeat(24) });
    expect(asked.status).toBe(202);
    expect(asked.body.summary).toEqual([
      "root metadata version 2",
      expect.stringMatching(/^root role: 1 of 1 key\(s\) must sign: ed25519 [0-9a-f]{16}$/),
      expect.stringMatching(/^targets role: 1 of 1 key\(s\) must sign: ed25519 [0-9a-f]{16}$/),
      "already signed by 0 of its own root keys",
    ]);
    expect(refusal(await world.call("dave", "POST", "/v1/requests/root-rotation-2b/approve")).message).toMatch(/cannot approve it/);
    expect((await world.call("bob", "POST", "/v1/requests/root-rotation-2b/approve")).status).toBe(202);
    const signed = await world.call("carol", "POST", "/v1/requests/root-rotation-2b/approve");
    expect(signed.status).toBe(200);
    const parsed = parseRoot(Buffer.from(signed.body.file!, "base64"));
    const key = loadPublicKey(world.at("root-a.pem.pub"));
    expect(verifyBytes(key.raw, parsed.serialized, parsed.signed.signatures![0]!.sig!)).toBe(true);
    // A root key never signs targets.
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(await world.build(3), { key: "root-a" }))).message).toMatch(/is a root key/);
  });
});

describe("signing service: freshness, replay, idempotency, limits", () => {
  beforeEach(() => startWorld());

  it("refuses an expired request and one that lives too long", async () => {
    const build = await world.build(3);
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build, { expiresAt: new Date(Date.now() - 1000).toISOString() }))).message).toMatch(/expired at/);
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }))).message).toMatch(/at most 600 s is accepted/);
  });

  it("answers a retry with the stored outcome, refuses a replayed nonce and a reused request ID", async () => {
    const build = await world.build(3);
    const body = world.targetsBody(build);
    const first = await world.call("ci", "POST", "/v1/targets/sign", body);
    const retry = await world.call("ci", "POST", "/v1/targets/sign", body);
    expect(retry.status).toBe(200);
    expect(retry.body.file).toBe(first.body.file);
    expect(world.service.state.ledger()).toHaveLength(1);
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", { ...world.targetsBody(await world.build(4)), nonce: body.nonce })).message).toMatch(/was seen before: a replayed request/);
    expect(refusal(await world.call("ci", "POST", "/v1/targets/sign", { ...world.targetsBody(await world.build(5)), requestId: body.requestId }))).toEqual({ status: 409, message: `request ID ${String(body.requestId)} was already used for another request; use a fresh ID` });
  });

  it("refuses malformed and oversized bodies before deciding anything", async () => {
    const build = await world.build(3);
    const cases: Array<[unknown, number]> = [
      [{ ...world.targetsBody(build), bundle: "not base64!" }, 400],
      [{ ...world.targetsBody(build), extra: 1 }, 400],
      [{ ...world.targetsBody(build), nonce: "short" }, 400],
      [{ ...world.targetsBody(build), key: undefined }, 400],
      [{ ...world.targetsBody(build), bundle: Buffer.alloc(1_100_000).toString("base64") }, 413],
    ];
    for (const [body, status] of cases) expect((await world.call("ci", "POST", "/v1/targets/sign", body)).status).toBe(status);
    const garbage = await world.app.inject({ method: "POST", url: "/v1/targets/sign", payload: "{not json", headers: { authorization: `Bearer ${world.tokens.ci}`, "content-type": "application/json" } });
    expect(garbage.statusCode).toBe(400);
    const notBundle = await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build, { bundle: Buffer.from("hello").toString("base64") }));
    expect(refusal(notBundle).message).toMatch(/not an airlock\/Pigweed update bundle/);
  });

  it("signs exactly once under a burst of 200 concurrent requests for one version, and the ledger and audit log agree", async () => {
    const builds = await Promise.all([3, 3].map((v) => world.build(v)));
    const bodies = Array.from({ length: 200 }, (_, i) => world.targetsBody(builds[i % 2]!));
    // Half are retries of the first request: they must return its outcome, not sign again.
    for (let i = 0; i < 100; i += 2) bodies[i] = bodies[0]!;
    const results = await Promise.all(bodies.map((b) => world.call("ci", "POST", "/v1/targets/sign", b)));
    const signed = results.filter((r) => r.status === 200);
    const distinctSignatures = new Set(signed.map((r) => r.body.file));
    expect(distinctSignatures.size).toBe(1);
    expect(results.every((r) => r.status === 200 || r.status === 403)).toBe(true);
    expect(world.service.state.ledger()).toHaveLength(1);
    const verdict = verifyAuditText(readFileSync(world.at("audit.log"), "utf8"));
    expect(verdict.ok).toBe(true);
    const entries = readFileSync(world.at("audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { decision: string });
    expect(entries.filter((e) => e.decision === "signed")).toHaveLength(1);
  }, 60_000);
});

describe("signing service: a crash mid-request", () => {
  it("leaves the version reserved; the retry after restart signs once and the ledger keeps one entry", async () => {
    world = new SignerWorld(dirs.make());
    await world.setUp();
    // The production key hangs in sign(): the process "dies" with the request reserved.
    const { FileSigner } = await import("../tools/signer/index.js");
    await world.start((name) => {
      const real = new FileSigner(world.at(`${name}.pem`), name);
      return { name, type: real.type, publicKey: real.publicKey, sign: () => new Promise<Uint8Array>(() => {}), close: () => real.close() };
    });
    const build = await world.build(3);
    const body = world.targetsBody(build);
    void world.call("ci", "POST", "/v1/targets/sign", body);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(world.service.state.request(String(body.requestId))?.status).toBe("signing");
    await world.stop();

    await world.start();
    expect(world.service.state.ledger()).toHaveLength(1);
    const other = await world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(await world.build(3)));
    expect(refusal(other).message).toMatch(/not above 3/);
    const retried = await world.call("ci", "POST", "/v1/targets/sign", body);
    expect(retried.status).toBe(200);
    expectSignedBy(retried.body.file, "prod-targets.pem.pub");
    expect(world.service.state.ledger()).toHaveLength(1);
    const signedEntries = readFileSync(world.at("audit.log"), "utf8").trim().split("\n").filter((l) => l.includes('"decision":"signed"'));
    expect(signedEntries).toHaveLength(1);
  });
});

describe("signing service: its audit log and policy", () => {
  it("the service refuses to start on an edited or cut audit log", async () => {
    await startWorld();
    await world.call("alice", "POST", "/v1/targets/sign", world.targetsBody(await world.build(2, "eng"), { key: "test-targets" }));
    await world.call("alice", "POST", "/v1/targets/sign", world.targetsBody(await world.build(3, "eng"), { key: "test-targets" }));
    await world.stop();
    const log = world.at("audit.log");
    const text = readFileSync(log, "utf8");
    const lines = text.trim().split("\n");
    writeFileSync(log, `${lines.slice(0, -1).join("\n")}\n`); // the last entry dropped
    await expect(world.start()).rejects.toThrow(/entries were cut off its end/);
    writeFileSync(log, text.replace('"decision":"signed"', '"decision":"refused"'));
    await expect(world.start()).rejects.toThrow(/damaged at line \d+: its content does not match its hash/);
    writeFileSync(log, text);
    await world.start();
  });

  it("refuses to start on a wrong policy, naming the line and the reason", async () => {
    world = new SignerWorld(dirs.make());
    await world.setUp();
    const { loadPolicy } = await import("../tools/signer/index.js");
    const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;
    const cases: Array<[string, string, RegExp]> = [
      [policyYaml().replace("buildTypes: [user]", "buildTypes: [user, eng]"), "buildTypes: [user, eng]", /lets production key "prod-targets" sign eng builds/],
      [policyYaml().replace("    keys: [test-targets]", "    keys: [test-target]"), "keys: [test-target]", /names key "test-target", which is not under keys/],
      [policyYaml().replace("  maxBodyBytes:", "  maxBodyBytez:"), "maxBodyBytez", /unknown field "maxBodyBytez"/],
      [policyYaml({ approvals: 5 }), "approvals: 5", /needs 5 approvals but the policy has 3 approver\(s\)/],
      [policyYaml().replace("class: test\n    file: test-targets.pem", "class: production\n    file: test-targets.pem"), "file: test-targets.pem", /production key in a file/],
      [policyYaml().replace("  state: state.db", "  state: state.db\n  state: other.db"), "state: other.db", /not valid YAML: Map keys must be unique/],
    ];
    for (const [text, needle, reason] of cases) {
      writeFileSync(world.at("policy.yaml"), text);
      let message = "";
      try {
        loadPolicy(world.at("policy.yaml"));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(reason);
      const line = Number(/line (\d+)/.exec(message)?.[1]);
      // The named line is the offending one.
      expect({ reason: String(reason), line }).toEqual({ reason: String(reason), line: lineOf(text, needle) });
    }
  });
});
