// The release tests' world: e2e-world's keys, root and images, a release key (and a stranger's),
// bundles v2 and v3 for the nrf52840 board's hardware, a release repository, and `sim fetch`
// runs with their JSON report.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { BootReport } from "../../host-sim/index.js";
import { airlock } from "./cli-run.js";
import { ok, simBoot, World } from "./e2e-world.js";

export const HARDWARE = "nordic,nrf52840";
export const PRODUCT = "thermostat";

export class ReleaseWorld extends World {
  get repo(): string {
    return this.at("repo");
  }

  async build(): Promise<this> {
    await super.build();
    await ok("keygen", this.at("release"));
    await ok("keygen", this.at("stranger"));
    await this.bundle("v2.bundle", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"], hardware: HARDWARE });
    await this.bundle("v3.bundle", { version: 3, images: { app: "v3.bin" }, signers: ["dev-targets"], hardware: HARDWARE });
    return this;
  }

  publish(bundle: string, ...extra: string[]) {
    return airlock("release", "publish", "--repo", this.repo, "--channel", "internal", "--key", this.at("release"), "--product", PRODUCT, this.at(bundle), "--json", ...extra);
  }

  /** The index file as it is now (to serve it again later: a replay). */
  indexText(channel = "internal"): string {
    return readFileSync(this.at(`repo/channels/${channel}.json`), "utf8");
  }

  async fetch(device: string, url: string, ...extra: string[]) {
    const run = await airlock("sim", "fetch", "--flash", device, "--from", url, "--channel", "internal", "--release-key", this.at("release.pub"), "--json", ...extra);
    return { ...run, json: JSON.parse(run.stdout) as Record<string, unknown> };
  }

  /** `sim fetch` must exit 1 with one line matching `why`, and the device must still run `before`. */
  async expectFetchRefused(device: string, url: string, why: RegExp, before: BootReport, ...extra: string[]): Promise<void> {
    const run = await airlock("sim", "fetch", "--flash", device, "--from", url, "--channel", "internal", "--release-key", this.at("release.pub"), ...extra);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^airlock: [^\n]*\n$/);
    expect(run.stderr).toMatch(why);
    expect(await simBoot(device)).toEqual(before);
  }
}
