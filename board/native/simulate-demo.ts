// The update demo of app/update-demo.c on the simulator: SimDevice (host-sim/device.ts) over
// host-sim's NOR flash model, with the same bundles (fixtures.ts) and poll budget, rendering
// what its methods return in the lines the firmware prints. The firmware makes the same agent
// calls in the same order as these methods, so everything but its "step" lines (which only it
// sees) must be equal: boot records, image hashes, status records, outcomes, flash op counts.
import { createHash } from "node:crypto";
import { APP_TARGET, loadBoard } from "../../host-sim/index.js";
import { NorFlash } from "../../host-sim/flash.js";
import { SimDevice, type BootInfo, type UpdateOutcome, type UpdateStatus } from "../../host-sim/device.js";
import { QEMU_MACHINES } from "./machines.js";
import { demoFixtures } from "./fixtures.js";

/** Bytes per update_poll, as in app/update-demo.c (POLL_BUDGET_BYTES). */
export const POLL_BUDGET_BYTES = 4096;

/** The firmware's lines minus its "step" lines, and "resources" cut to the flash op count. */
export function comparableFirmwareLines(lines: string[]): string[] {
  return lines.filter((line) => !line.startsWith("step ")).map((line) => line.replace(/^(resources flash-ops=\d+).*$/, "$1"));
}

export async function simulateDemo(machine: string): Promise<string[]> {
  const config = QEMU_MACHINES[machine];
  if (!config) throw new Error(`unknown QEMU machine "${machine}"`);
  const board = loadBoard(config.layoutBoard);
  const app = board.partitions.targets.find((t) => t.name === APP_TARGET)!;
  const fixtures = demoFixtures(board.hardwareId);
  const flash = new NorFlash(board.flash);
  const device = new SimDevice(flash, board);
  const out: string[] = [];
  let powerOns = 0;

  const powerOnLine = () => {
    powerOns++;
    out.push(`power-on ${machine} layout=${board.name} count=${powerOns} flash=${powerOns === 1 ? "blank" : "kept"}`);
  };
  const bootLines = (info: BootInfo) => {
    out.push(
      `boot info slot=${info.slot} trial=${Number(info.trial)} root-version=${info.rootVersion} ` +
        `targets-version=${info.targetsVersion} pending=${Number(info.pending)}`,
    );
    const length = info.lengths[APP_TARGET] ?? 0;
    out.push(`image app present=${Number(APP_TARGET in info.images)} length=${length} sha256=${info.images[APP_TARGET] ?? ""}`);
    const slotBytes = flash.dump(info.slot === "a" ? app.slotA : app.slotB, length);
    out.push(`flash app sha256=${createHash("sha256").update(slotBytes).digest("hex")}`);
  };
  const statusLine = (s: UpdateStatus) =>
    out.push(
      `status update state=${s.state} result=${s.result} progress=${s.progress} received=${s.bytesReceived} ` +
        `last-error=${s.lastError} total=${s.total}`,
    );
  const outcomeLine = (o: UpdateOutcome) =>
    out.push(`outcome update ok=${Number(o.ok)} state=${o.state} result=${o.result} error=${o.error}`);
  const update = (bundle: Uint8Array) => {
    outcomeLine(device.update(bundle, { budget: POLL_BUDGET_BYTES }));
    statusLine(device.status());
  };
  const reset = () => {
    out.push(`resources flash-ops=${flash.operations}`, "reset");
    device.powerOff();
  };

  // Factory: provision() ends with a power-on of its own (configure, boot), the firmware's
  // power-on after its factory reset. A first boot writes nothing, so the flash op count the
  // firmware prints before that reset is already final here.
  powerOnLine();
  const firstBoot = await device.provision(fixtures.root, { [APP_TARGET]: fixtures.factoryImage });
  out.push(`resources flash-ops=${flash.operations}`, "reset");
  powerOnLine();
  bootLines(firstBoot);
  update(fixtures.updateBundle);
  reset();

  // The new image, on trial: confirm it, then a bundle whose signature is bad.
  powerOnLine();
  bootLines(await device.powerOn());
  statusLine(device.status());
  device.confirm();
  bootLines(device.bootInfo());
  update(fixtures.badSignatureBundle);
  reset();

  // Nothing changed.
  powerOnLine();
  bootLines(await device.powerOn());
  statusLine(device.status());
  out.push(`resources flash-ops=${flash.operations}`, "demo done");
  return out;
}
