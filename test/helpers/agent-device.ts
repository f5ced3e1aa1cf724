// A factory-fresh simulated device on a board, and the state a test asserts after each step:
// the boot info AND the bytes actually in the running slot (not only what the agent reports).
import { createHash } from "node:crypto";
import { NorFlash } from "../../host-sim/flash.js";
import { loadBoard, type Board } from "../../host-sim/boards.js";
import { SimDevice, type BootInfo } from "../../host-sim/device.js";

export interface TestDevice {
  board: Board;
  flash: NorFlash;
  device: SimDevice;
}

export function newDevice(board: Board = loadBoard("nrf52840")): TestDevice {
  const flash = new NorFlash(board.flash);
  return { board, flash, device: new SimDevice(flash, board) };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-256 of the bytes in the running slot of `target`, as long as the manifest says. */
export function runningImageHash(d: TestDevice, info: BootInfo, target = "app"): string {
  const slots = d.board.partitions.targets.find((t) => t.name === target);
  if (!slots) throw new Error(`no target ${target}`);
  const length = info.lengths[target];
  if (length === undefined) throw new Error(`target ${target} has no image`);
  const bytes = new Uint8Array(length);
  d.flash.read(info.slot === "a" ? slots.slotA : slots.slotB, bytes);
  return sha256Hex(bytes);
}
