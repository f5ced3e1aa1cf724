// The files a team writes once, as the demo writes them: the signing service's policy (a test key
// only: production keys belong on an HSM, see the README), the product's release config, and the
// build description `airlock build` reads. Paths are relative to the demo's directory.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const PRODUCT = "thermostat";
export const HARDWARE_ID = "nordic,nrf52840";
export const BOARD = "nrf52840";
export const BUILDER_ID = "https://ci.example.com/builders/firmware";

/** A recognizable, deterministic firmware image of `bytes` bytes. */
export function firmware(label: string, bytes: number): Buffer {
  const image = Buffer.alloc(bytes);
  const text = Buffer.from(`${label}\n`);
  for (let at = 0; at < bytes; at += text.length) text.copy(image, at);
  return image;
}

export function writePolicy(dir: string): void {
  writeFileSync(
    join(dir, "signer.yaml"),
    `# the signing service: a test key for eng and user builds of the thermostat, signed only for
# builds whose provenance the ci builder signed
service: { state: signer.db, audit: signer-audit.log, tokens: signer-tokens.json, store: store }
keys:
  test-targets: { class: test, file: test-targets }
builders:   { ci: { id: ${BUILDER_ID}, publicKey: builder.pub } }
identities: { ci: { roles: [requester] } }
products:   { ${PRODUCT}: { hardwareId: "${HARDWARE_ID}" } }
grants:
  - { identities: [ci], keys: [test-targets], products: [${PRODUCT}], buildTypes: [eng, user] }
production: { approvals: 0, qualification: [] }
root: { approvals: 1 }
`,
  );
}

export function writeReleaseConfig(dir: string, signerUrl: string): void {
  writeFileSync(
    join(dir, "release.yaml"),
    `# the thermostat's release: test-sign, qualify on the simulated board, publish to internal
product: ${PRODUCT}
boards: [${BOARD}]
store: store
repository: releases
history: history
releaseKey: release
qualifierKey: qualifier
qualificationRoot: root.bin
signer: { url: ${signerUrl}, tokenFile: ci.token }
stages:
  - { name: test-sign, kind: sign, key: test-targets }
  - { name: qualify, kind: qualify, bundle: test-sign, suites: [sim-update, sim-revert], powerCuts: 2, qemu: skip }
  - { name: internal, kind: publish, bundle: test-sign, channel: internal }
`,
  );
}

export function writeBuildDescription(dir: string, version: number, image: string): string {
  const name = `${PRODUCT}-${version}.json`;
  writeFileSync(
    join(dir, name),
    `${JSON.stringify({ product: PRODUCT, hardwareId: HARDWARE_ID, board: BOARD, targetsVersion: version, buildType: "user", targets: { app: { binary: image } } }, null, 2)}\n`,
  );
  return name;
}
