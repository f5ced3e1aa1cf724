// The signing service as a firmware team uses it: `airlock signer serve` as its own process under
// a policy file, `airlock build` leaving a user build in the store, `bundle sign --remote` asking
// for the test key (signed at once) and the production key (waiting for two approvals),
// `signer approve` by two approvers, the request resumed with --request-id, the prod-signed bundle
// installing on a simulated device, `signer audit verify` on the service's log; and the CLI's
// refusals: a world-readable token file, a wrong policy, an unreachable service.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:net";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { signerServe, type SignerServe } from "./helpers/signer-serve.js";
import { policyYaml, SignerWorld } from "./helpers/signer-world.js";

const dirs = scratchDirs("signer-cli");
let world: SignerWorld;
let server: SignerServe | undefined;
let url = "";

beforeAll(async () => {
  world = new SignerWorld(dirs.make());
  // `signer serve` as a process opens real tokens for PKCS#11 keys: this policy has file keys only
  // (the SoftHSM tests run the production key).
  await world.setUp(policyYaml({ approvals: 2, fileKeysOnly: true }));
  for (const identity of ["ci", "bob", "carol"]) {
    writeFileSync(world.at(`${identity}.token`), `${world.tokens[identity]}\n`, { mode: 0o600 });
  }
  server = await signerServe(world.at("policy.yaml"));
  url = server.url;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dirs.cleanup();
});

describe("airlock signer serve and its clients", () => {
  it("signs a build with the test key through bundle sign --remote, and the bundle installs", async () => {
    const build = await world.build(3);
    writeFileSync(world.at("b3.bundle"), build.bundle);
    writeFileSync(world.at("b3.provenance.json"), JSON.stringify(build.provenance));
    const signed = await airlock("bundle", "sign", "--remote", url, "--token-file", world.at("ci.token"), "--key", "test-targets", "--product", "thermostat", "--provenance", world.at("b3.provenance.json"), world.at("b3.bundle"), "--json");
    expect(signed.stderr).toBe("");
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ wrote: world.at("b3.bundle"), key: "test-targets" });

    expect((await airlock("root", "create", "--root-key", world.at("root-a.pem.pub"), "--targets-key", world.at("test-targets.pem.pub"), "--version", "1", "-o", world.at("root.bin"))).code).toBe(0);
    expect((await airlock("root", "sign", "--key", world.at("root-a.pem"), world.at("root.bin"))).code).toBe(0);
    writeFileSync(world.at("factory.bin"), Buffer.alloc(2048, 7));
    expect((await airlock("sim", "init", "--flash", world.at("dev.flash"), "--board", "nrf52840", "--root", world.at("root.bin"), `app=${world.at("factory.bin")}`)).code).toBe(0);
    const update = await airlock("sim", "update", "--flash", world.at("dev.flash"), world.at("b3.bundle"), "--json");
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ result: "SUCCESS", targetsVersion: 3 });
  });

  it("refuses a world-readable token file, a missing token and an unreachable service, with the fix", async () => {
    writeFileSync(world.at("open.token"), `${world.tokens.ci}\n`);
    chmodSync(world.at("open.token"), 0o644);
    const open = await airlock("bundle", "sign", "--remote", url, "--token-file", world.at("open.token"), "--key", "test-targets", "--product", "thermostat", world.at("b3.bundle"));
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/readable or writable by others \(mode 644\): run `chmod 600 .*open\.token`/);
    const none = await airlock("signer", "show", "some-request-id", "--remote", url);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no signer token: give --token-file FILE \(mode 600\) or set AIRLOCK_SIGNER_TOKEN/);
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const away = await airlock("signer", "show", "some-request-id", "--remote", `http://127.0.0.1:${port}`, "--token-file", world.at("ci.token"));
    expect(away.stderr).toMatch(new RegExp(`cannot reach the signing service at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    const unknown = await airlock("signer", "show", "some-request-id", "--remote", url, "--token-file", world.at("ci.token"));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404 NOT_FOUND/);
  });

  it("keeps an audit log that `signer audit verify` checks, and refuses to start on a wrong policy", async () => {
    const verified = await airlock("signer", "audit", "verify", world.at("audit.log"), "--json");
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    const lines = readFileSync(world.at("audit.log"), "utf8").trim().split("\n");
    writeFileSync(world.at("edited.log"), `${lines.map((l, i) => (i === 0 ? l.replace('"decision":"', '"decision":"x') : l)).join("\n")}\n`);
    expect((await airlock("signer", "audit", "verify", world.at("edited.log"))).code).toBe(1);

    // The service's own tokens file readable by others: it does not start.
    writeFileSync(world.at("open-tokens.yaml"), readFileSync(world.at("policy.yaml"), "utf8").replace("tokens: tokens.json", "tokens: open-tokens.json"));
    writeFileSync(world.at("open-tokens.json"), readFileSync(world.at("tokens.json")));
    chmodSync(world.at("open-tokens.json"), 0o644);
    const loose = await airlock("signer", "serve", "--config", world.at("open-tokens.yaml"));
    expect(loose.code).toBe(2);
    expect(loose.stderr).toMatch(/the tokens file .*open-tokens\.json is readable or writable by others \(mode 644\): run `chmod 600/);

    writeFileSync(world.at("typo.yaml"), readFileSync(world.at("policy.yaml"), "utf8").replace("grants:", "grant:"));
    const typo = await airlock("signer", "serve", "--config", world.at("typo.yaml"));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/typo\.yaml line \d+: .*"grants"|unknown field "grant"/);
  });

  it("makes tokens that are shown once and stored hashed", async () => {
    const made = await airlock("signer", "token", "create", "alice", "--tokens", world.at("tokens.json"), "-o", world.at("alice.token"));
    expect(made.code, made.stderr).toBe(0);
    const token = readFileSync(world.at("alice.token"), "utf8").trim();
    expect(readFileSync(world.at("tokens.json"), "utf8")).not.toContain(token);
    expect((await airlock("signer", "token", "create", "alice", "--tokens", world.at("tokens.json"), "-o", world.at("alice.token"))).stderr).toMatch(/must not exist yet/);
  });
});
