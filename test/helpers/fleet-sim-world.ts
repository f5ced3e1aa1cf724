// The fleet simulation's test world: FleetWorld's rollout service (SQLite, ManualClock) and
// release repository, with real signed bundles in it (small images for the nrf52840 board), and
// fleet devices running the real agent over their own flash, all made from one factory image.
// No vitest here: the fleet benches build the same world.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { boardNamed, type Board, type NorFlash } from "../../host-sim/index.js";
import { FleetDevice, manufactureFlash, type FleetDeviceOptions, type PollEvent } from "../../tools/fleet/index.js";
import { ReleaseRepository } from "../../tools/release/index.js";
import { airlock } from "./cli-run.js";
import { FleetWorld, HARDWARE, PRODUCT } from "./fleet-world.js";

async function ok(...args: string[]): Promise<void> {
  const run = await airlock(...args);
  if (run.code !== 0) throw new Error(`airlock ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
}

/** Deterministic image bytes that differ per label. */
function image(label: string, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let block = 0; block * 32 < bytes; block++) createHash("sha256").update(`${label}/${block}`).digest().copy(out, block * 32);
  return out;
}

export class FleetSimWorld extends FleetWorld {
  readonly board: Board = boardNamed("nrf52840");
  factory!: NorFlash;
  bundles: Record<number, Uint8Array> = {};

  at(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Keys, the root, the factory flash (v1) and bundles v2..v4, then the service (SQLite). */
  async open(): Promise<this> {
    for (const key of ["root", "targets"]) await ok("keygen", this.at(key));
    await ok("root", "create", "--root-key", this.at("root.pub"), "--targets-key", this.at("targets.pub"), "--version", "1", "-o", this.at("root.bin"));
    await ok("root", "sign", "--key", this.at("root"), this.at("root.bin"));
    for (const version of [1, 2, 3, 4]) {
      writeFileSync(this.at(`v${version}.bin`), image(`fleet firmware v${version}`, 2048 + version * 64));
      if (version === 1) continue;
      await ok("bundle", "create", "-o", this.at(`v${version}.bundle`), "--targets-version", String(version), "--hardware", HARDWARE, `app=${this.at(`v${version}.bin`)}`);
      await ok("bundle", "sign", "--key", this.at("targets"), this.at(`v${version}.bundle`));
      this.bundles[version] = readFileSync(this.at(`v${version}.bundle`));
    }
    this.factory = await manufactureFlash({ board: this.board, root: readFileSync(this.at("root.bin")), images: { app: readFileSync(this.at("v1.bin")) }, targetsVersion: 1 });
    await this.start("sqlite");
    return this;
  }

  /** Publishes bundle `version` to `channel`, signed by the release key at the world's time. */
  publishBundle(version: number, channel = "prod"): void {
    new ReleaseRepository(this.repoDir).publish({ channel, releaseKey: this.releaseKey.signing, product: PRODUCT, bundle: this.bundles[version]!, now: new Date(this.clock.now()) });
  }

  /** `count` fleet devices f000.., each on its own copy of the factory flash, enrolled. */
  async fleetDevices(count: number, options: (i: number) => Partial<FleetDeviceOptions> = () => ({})): Promise<FleetDevice[]> {
    const devices = Array.from({ length: count }, (_, i) => new FleetDevice({
      id: `f${String(i).padStart(3, "0")}`, product: PRODUCT, serviceUrl: this.url, enrollSecret: this.enrollSecret, board: this.board, flash: this.factory.clone(), ...options(i),
    }));
    for (const device of devices) {
      const event = await device.pollOnce();
      if (event.kind !== "enrolled") throw new Error(`${device.id} did not enroll: ${JSON.stringify(event)}`);
    }
    return devices;
  }

  /** Every device polls once, all at once; the events by device. */
  async round(devices: FleetDevice[]): Promise<PollEvent[]> {
    return Promise.all(devices.map((d) => d.pollOnce()));
  }

  /** Simulated time passes and the service's tick runs. */
  async pass(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.fleet.operators.tick();
  }
}
