// The flash matrix of issue 5: every board in board/ with write units 1, 4, 8, 16 and erased
// values 0xFF and 0x00, and how much of each sweep a run covers.
import { boardVariant, listBoards, loadBoard, type Board } from "../../host-sim/boards.js";

export const WRITE_UNITS = [1, 4, 8, 16] as const;
export const ERASED_VALUES = [0xff, 0x00] as const;

export function boardMatrix(): Board[] {
  const boards: Board[] = [];
  for (const name of listBoards()) {
    const base = loadBoard(name);
    for (const writeUnit of WRITE_UNITS) {
      for (const erasedValue of ERASED_VALUES) boards.push(boardVariant(base, { writeUnit, erasedValue }));
    }
  }
  return boards;
}

/**
 * AIRLOCK_SWEEP=exhaustive (npm run test:exhaustive) tries every operation index; the default
 * `npm test` tries a seeded sample per board variant and mode, so CI stays within its budget.
 */
export const EXHAUSTIVE = process.env.AIRLOCK_SWEEP === "exhaustive";

/** Cut indexes per (scenario, board variant, mode) in the default run. */
export function sampleSize(defaultSample: number): number | "all" {
  return EXHAUSTIVE ? "all" : defaultSample;
}
