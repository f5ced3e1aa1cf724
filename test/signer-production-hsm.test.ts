// The README's walk with a real SoftHSM 2 token: the production targets key and a root key are
// generated on the token (`signer hsm keygen`, only public keys come out); `signer serve` runs as
// its own process under a policy that keeps them there; a user build from `airlock build` is
// asked for the production key with its provenance, waits for two approvers (`signer approve`),
// and is fetched with --request-id; the root naming the HSM keys is signed by the HSM root key
// after two approvals; the prod-signed bundle installs on a simulated device trusting that root.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { signerServe, type SignerServe } from "./helpers/signer-serve.js";
import { createSoftHsm, softHsmAvailable, type SoftHsm } from "./helpers/softhsm.js";
import { policyYaml, SignerWorld } from "./helpers/signer-world.js";

const available = softHsmAvailable();
const dirs = scratchDirs("signer-hsm-e2e");
let hsm: SoftHsm;
let world: SignerWorld;
let server: SignerServe | undefined;
let url = "";

beforeAll(async () => {
  if (!available) return;
  hsm = createSoftHsm();
  hsm.initToken("airlock-prod", "1234");
  hsm.initToken("airlock-root", "1234");
  world = new SignerWorld(dirs.make());
  await world.setUp(policyYaml({ approvals: 2 }).replaceAll("/usr/lib/softhsm/libsofthsm2.so", hsm.module));
  for (const [token, label] of [["airlock-prod", "prod-targets"], ["airlock-root", "root-a"]]) {
    const made = await airlock("signer", "hsm", "keygen", "--module", hsm.module, "--token", token!, "--pin-file", world.at("pin.txt"), "--label", label!, "--type", "ed25519", "-o", world.at(`${label}.hsm.pub`));
    expect(made.code, made.stderr).toBe(0);
  }
  for (const identity of ["ci", "bob", "carol", "dave"]) writeFileSync(world.at(`${identity}.token`), `${world.tokens[identity]}\n`, { mode: 0o600 });
  server = await signerServe(world.at("policy.yaml"));
  url = server.url;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  hsm?.remove();
  dirs.cleanup();
});

describe.skipIf(!available)("production signing with keys on a SoftHSM token", () => {
  it("signs an approved user build with the HSM key and an approved root with the HSM root key; the device installs it", async () => {
    const as = (identity: string) => ["--remote", url, "--token-file", world.at(`${identity}.token`)];
    const build = await world.build(7);
    writeFileSync(world.at("release.bundle"), build.bundle);
    writeFileSync(world.at("release.provenance.json"), JSON.stringify(build.provenance));
    const ask = ["bundle", "sign", ...as("ci"), "--key", "prod-targets", "--product", "thermostat", "--provenance", world.at("release.provenance.json"), world.at("release.bundle")];

    const pending = await airlock(...ask, "--json");
    expect(pending.code, pending.stderr).toBe(0);
    const request = JSON.parse(pending.stdout) as { requestId: string; status: string; needed: number; summary: string[] };
    expect(request).toMatchObject({ status: "pending", needed: 2 });
    expect(request.summary[0]).toBe('sign thermostat targets version 7 (user build) with production key "prod-targets"');

    const bob = await airlock("signer", "approve", request.requestId, ...as("bob"));
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout).toMatch(/sign thermostat targets version 7 \(user build\)[\s\S]*approved: 1 of 2; the request is pending/);
    expect((await airlock("signer", "approve", request.requestId, ...as("bob"))).stderr).toMatch(/already approved .* one person counts once/);
    const carol = await airlock("signer", "approve", request.requestId, ...as("carol"));
    expect(carol.stdout).toMatch(/approved: 2 of 2; the request is signed/);

    const fetched = await airlock(...ask, "--request-id", request.requestId, "--json");
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ wrote: world.at("release.bundle"), key: "prod-targets" });

    // The root: HSM root key, HSM production targets key; signed by the token after two approvals.
    expect((await airlock("root", "create", "--root-key", world.at("root-a.hsm.pub"), "--targets-key", world.at("prod-targets.hsm.pub"), "--version", "1", "-o", world.at("root.bin"))).code).toBe(0);
    const rootAsk = ["root", "sign", ...as("dave"), "--key", "root-a", world.at("root.bin")];
    const rootPending = JSON.parse((await airlock(...rootAsk, "--json")).stdout) as { requestId: string; summary: string[] };
    expect(rootPending.summary).toContain("root metadata version 1");
    for (const approver of ["bob", "carol"]) expect((await airlock("signer", "approve", rootPending.requestId, ...as(approver))).code).toBe(0);
    expect((await airlock(...rootAsk, "--request-id", rootPending.requestId)).code).toBe(0);
    const inspected = JSON.parse((await airlock("root", "inspect", world.at("root.bin"), "--json")).stdout) as { rootThresholdMet: boolean };
    expect(inspected.rootThresholdMet).toBe(true);

    writeFileSync(world.at("factory.bin"), Buffer.alloc(4096, 3));
    expect((await airlock("sim", "init", "--flash", world.at("dev.flash"), "--board", "nrf52840", "--root", world.at("root.bin"), `app=${world.at("factory.bin")}`)).code).toBe(0);
    const update = await airlock("sim", "update", "--flash", world.at("dev.flash"), world.at("release.bundle"), "--json");
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ result: "SUCCESS", targetsVersion: 7 });

    expect((await airlock("signer", "audit", "verify", world.at("audit.log"))).code).toBe(0);
  }, 120_000);
});
