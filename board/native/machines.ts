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

export const QEMU_MACHINES: Record<string, QemuMachine> = {
  "mps2-an386": { layoutBoard: "nrf52840", icountShift: 10, timerHz: 25_000_000 },
  netduinoplus2: { layoutBoard: "stm32f4", icountShift: 0, timerHz: 1_000_000_000 },
};
