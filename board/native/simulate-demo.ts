// The update demo of app/update-demo.c, step for step, on the simulator: the same agent.wasm
// over host-sim's NOR flash model, fresh instance at every power-on, same chunk size and poll
// budget, same inputs (fixtures.ts), printing the same lines. The board test requires the
// firmware's output to equal this, line for line.
import { createHash } from "node:crypto";
import { loadBoard } from "../../host-sim/boards.js";
import { NorFlash } from "../../host-sim/flash.js";
import { encodeLayout } from "../../host-sim/layout.js";
import { instantiateAgent, type AgentInstance } from "../../host-sim/agent-module.js";
import { OK } from "../../assembly/status.js";
import { MAX_TARGET_NAME } from "../../assembly/limits.js";
import { QEMU_MACHINES } from "./machines.js";
import { demoFixtures } from "./fixtures.js";

/** The firmware's constants (app/update-demo.c). */
export const WRITE_CHUNK_BYTES = 1000;
export const POLL_BUDGET_BYTES = 4096;

export async function simulateDemo(machine: string): Promise<string[]> {
  const config = QEMU_MACHINES[machine];
  if (!config) throw new Error(`unknown QEMU machine "${machine}"`);
  const board = loadBoard(config.layoutBoard);
  const appIndex = board.partitions.targets.findIndex((t) => t.name === "app");
  const app = board.partitions.targets[appIndex]!;
  const fixtures = demoFixtures(board.hardwareId);
  const layout = encodeLayout(board);
  const flash = new NorFlash(board.flash);
  const out: string[] = [];
  let agent!: AgentInstance; // a fresh instance at every powerOn(), as after a reset

  const step = (name: string, result: number): number => {
    out.push(`step ${name} result=${result}`);
    return result;
  };
  const u32 = (offset: number): number => new DataView(agent.io().buffer, agent.io().byteOffset).getUint32(offset, true);
  const i32 = (offset: number): number => new DataView(agent.io().buffer, agent.io().byteOffset).getInt32(offset, true);
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

  const printStatus = (): void => {
    const rc = agent.exports.update_status();
    if (rc !== OK) {
      step("update-status", rc);
      return;
    }
    out.push(
      `status update state=${u32(0)} result=${u32(4)} progress=${u32(8)} received=${u32(12)} ` +
        `last-error=${i32(16)} total=${u32(20)}`,
    );
  };
  const printBootInfo = (): void => {
    const rc = agent.exports.boot_info();
    if (rc !== OK) {
      step("boot-info", rc);
      return;
    }
    const slot = u32(0);
    out.push(`boot info slot=${slot === 0 ? "a" : "b"} trial=${u32(4)} root-version=${u32(8)} targets-version=${u32(12)} pending=${u32(20)}`);
    const entry = 24 + appIndex * (MAX_TARGET_NAME + 40);
    const length = u32(entry + MAX_TARGET_NAME + 4);
    out.push(`image app present=${u32(entry + MAX_TARGET_NAME)} length=${length} sha256=${hex(agent.io().slice(entry + MAX_TARGET_NAME + 8, entry + MAX_TARGET_NAME + 40))}`);
    const slotBytes = flash.dump(slot === 0 ? app.slotA : app.slotB, length);
    out.push(`flash app sha256=${createHash("sha256").update(slotBytes).digest("hex")}`);
  };
  const chunks = (bytes: Uint8Array, send: (offset: number, chunk: Uint8Array) => number): number => {
    let rc = OK;
    for (let offset = 0; offset < bytes.length && rc === OK; offset += WRITE_CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, offset + WRITE_CHUNK_BYTES);
      agent.io().set(chunk);
      rc = send(offset, chunk);
    }
    return rc;
  };
  const transfer = (bundle: Uint8Array): void => {
    step("update-start", agent.exports.update_start());
    step("update-write", chunks(bundle, (offset, chunk) => agent.exports.update_write(offset, chunk.length)));
    step("update-set-transferred", agent.exports.update_set_transferred(bundle.length));
  };
  const pollUntilIdle = (name: string): void => {
    let rc: number;
    do rc = agent.exports.update_poll(POLL_BUDGET_BYTES);
    while (rc === 1);
    step(name, rc);
  };
  const powerOn = async (count: number): Promise<void> => {
    out.push(`power-on ${machine} layout=${board.name} count=${count} flash=${count === 1 ? "blank" : "kept"}`);
    agent = await instantiateAgent(flash);
    agent.io().set(layout);
    step("configure", agent.exports.configure(layout.length));
  };
  const boot = (): void => {
    step("boot", agent.exports.boot());
    printBootInfo();
  };
  const resources = (): void => {
    out.push(`resources flash-ops=${flash.operations}`);
  };

  // Factory, then the update.
  await powerOn(1);
  step("provision-image", chunks(fixtures.factoryImage, (offset, chunk) => agent.exports.provision_image(appIndex, offset, chunk.length)));
  const request = new Uint8Array(12 + fixtures.root.length);
  new DataView(request.buffer).setUint32(0, fixtures.root.length, true);
  request.set(fixtures.root, 12);
  agent.io().set(request);
  step("provision", agent.exports.provision(request.length));
  boot();
  transfer(fixtures.updateBundle);
  step("update-verify", agent.exports.update_verify());
  pollUntilIdle("update-poll-verify");
  printStatus();
  step("update-apply", agent.exports.update_apply());
  pollUntilIdle("update-poll-apply");
  printStatus();
  resources();
  out.push("reset");

  // The new image on trial: confirm it, then a bundle with a bad signature.
  await powerOn(2);
  boot();
  printStatus();
  step("confirm", agent.exports.confirm());
  printBootInfo();
  step("update-reset", agent.exports.update_reset());
  transfer(fixtures.badSignatureBundle);
  step("update-verify", agent.exports.update_verify());
  pollUntilIdle("update-poll-verify");
  printStatus();
  resources();
  out.push("reset");

  // Nothing changed.
  await powerOn(3);
  boot();
  printStatus();
  resources();
  out.push("demo done");
  return out;
}
