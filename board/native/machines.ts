// The QEMU machines the firmware runs on, and which board JSON (flash geometry and partitions)
// each one's emulated flash follows. Shared by the build, the runner and the test.

export interface QemuMachine {
  /** board/<layoutBoard>.json: the flash the agent sees on this machine. */
  layoutBoard: string;
  /**
   * Instruction counting: QEMU runs with -icount shift=icountShift (every instruction takes
   * 2^shift ns of virtual time) and the firmware reads a timer of timerHz, so
   * instructions = ticks * 1e9 / (timerHz * 2^shift). The firmware's board.h holds the same
   * two numbers and its calibration loop fails the run if they ever disagree.
   */
  icountShift: number;
  timerHz: number;
}

/**
 * Bytes of linear memory a board gives the agent: the first 18 KiB of its one declared 64 KiB
 * page. Every static of the release builds ends below it (measured from the compiler's
 * __heap_base by test/reliability-fixed-memory.test.ts: 16,520 bytes for agent.wasm, 17,340 for
 * agent-link.wasm), and the agent has no shadow stack (stub runtime: wasm2c's locals live on the
 * C stack) and allocates nothing, so the other 46 KiB of the page would be RAM a firmware pays
 * for and never uses. The runtime allocates this many bytes and the bounds checks compare against
 * it (fixed-memory-bounds.ts), so an access above it traps as one past the page would.
 * generate-headers.ts hands it to the Makefile and the C runtime.
 */
export const BOARD_LINEAR_MEMORY_BYTES = 18 * 1024;

export const QEMU_MACHINES: Record<string, QemuMachine> = {
  "mps2-an386": { layoutBoard: "nrf52840", icountShift: 10, timerHz: 25_000_000 },
  netduinoplus2: { layoutBoard: "stm32f4", icountShift: 0, timerHz: 1_000_000_000 },
  // Cortex-M3 with 64 KiB of RAM (the whole part), the board Pigweed's QEMU target uses.
  lm3s6965evb: { layoutBoard: "nrf52840", icountShift: 7, timerHz: 12_500_000 },
};
