// The release pipeline's world: a signing service (SignerWorld's keys, policy and firmware
// builds) listening on loopback as the pipeline reaches it, a release key, a qualification root
// that trusts the test targets key (the simulated devices qualification installs on trust it),
// the ci identity's token in a private file, and a release config naming all of it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPublicKey, parseBundle } from "../../tools/format/index.js";
import { loadReleaseConfig, ReleaseRepository, runEmergency, runPipeline, verifyChannelIndex, type ReleaseConfig, type RunResult } from "../../tools/release/index.js";
import { SignerClient } from "../../tools/signer/index.js";
import { signerAccess } from "../../tools/cli/commands/release-pipeline.js";
import { ok } from "./e2e-world.js";
import { SignerWorld } from "./signer-world.js";

/** Stages from test-sign to prod with an rc soak of an hour; qualify stages when `qualify` is set. */
export function pipelineStages(options: { qualify?: boolean; soakMinutes?: number } = {}): string {
  const qualify = (name: string) => (options.qualify ? `  - { name: ${name}, kind: qualify, bundle: test-sign, suites: [sim-update, sim-revert], powerCuts: 2, qemu: skip }\n` : "");
  return `stages:
  - { name: test-sign, kind: sign, key: test-targets }
${qualify("qualify")}  - { name: internal, kind: publish, bundle: test-sign, channel: internal }
  - name: rc
    kind: publish
    bundle: test-sign
    channel: rc
    gates:
      - soak: { stage: internal, minutes: ${options.soakMinutes ?? 60} }
${qualify("qualify-rc")}  - { name: prod-sign, kind: sign, key: prod-targets }
  - { name: prod, kind: publish, bundle: prod-sign, channel: prod }
`;
}

export class PipelineWorld extends SignerWorld {
  url = "";

  /** Keys, builds' firmware, the qualification root, the service listening; the config written from `stages`. */
  async open(policy: string, stages = pipelineStages(), emergency = ""): Promise<this> {
    await this.setUp(policy);
    await ok("keygen", this.at("release"));
    await ok("root", "create", "--root-key", this.at("root-a.pem.pub"), "--targets-key", this.at("test-targets.pem.pub"), "--version", "1", "-o", this.at("qualification-root.bin"));
    await ok("root", "sign", "--key", this.at("root-a.pem"), this.at("qualification-root.bin"));
    writeFileSync(this.at("ci.token"), `${this.tokens.ci}\n`, { mode: 0o600 });
    await this.start();
    this.url = await this.app.listen({ host: "127.0.0.1", port: 0 });
    this.writeConfig(stages, emergency);
    return this;
  }

  writeConfig(stages: string, emergency = ""): void {
    writeFileSync(this.at("release.yaml"), `# thermostat's release config (tests)
product: thermostat
boards: [nrf52840]
store: store
repository: releases
history: history
releaseKey: release
qualifierKey: qualifier.pem
qualificationRoot: qualification-root.bin
signer: { url: ${this.url}, tokenFile: ci.token }
${stages}${emergency}`);
  }

  config(): ReleaseConfig {
    return loadReleaseConfig(this.at("release.yaml"));
  }

  /** The build record `airlock build` wrote for this version and type. */
  record(version: number, buildType: "eng" | "user" = "user", product = "thermostat"): string {
    return join(this.at(`out-${product}-${version}-${buildType}`), `${product}-${version}.build.json`);
  }

  run(build: string, options: { now?: Date; until?: string; actor?: string } = {}): Promise<RunResult> {
    const config = this.config();
    return runPipeline({ config, build, until: options.until, actor: options.actor ?? "ci", signer: signerAccess(config), now: options.now && (() => options.now!) });
  }

  emergency(build: string): Promise<RunResult> {
    const config = this.config();
    return runEmergency({ config, build, actor: "oncall", signer: signerAccess(config) });
  }

  approve(identity: string, requestId: string) {
    return new SignerClient(this.url, this.tokens[identity]!).approve(requestId);
  }
}

/** The bundle the channel's signed index names now, and which of the targets keys signed it. */
export function currentRelease(world: PipelineWorld, channel: string): { sha256: string; targetsVersion: number; signedBy: string[] } {
  const repository = new ReleaseRepository(world.at("releases"));
  const index = verifyChannelIndex(repository.readIndex(channel)!.text, { channel, trustedKeys: [loadPublicKey(world.at("release.pub"))], lastSeenVersion: 0, now: new Date() }, channel);
  const release = index.releases.find((r) => r.product === "thermostat")!;
  const bundle = parseBundle(repository.objects.get(release.bundle.sha256));
  const signedBy = ["test-targets", "prod-targets"].filter((name) => {
    const key = loadPublicKey(world.at(`${name}.pem.pub`));
    return bundle.targetsSigned.signatures?.some((s) => Buffer.from(s.keyId!).equals(Buffer.from(key.keyId)));
  });
  return { sha256: release.bundle.sha256, targetsVersion: release.targetsVersion, signedBy };
}
