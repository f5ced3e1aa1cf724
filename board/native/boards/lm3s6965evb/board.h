// TI Stellaris LM3S6965 evaluation board (Cortex-M3, 256 KiB flash, 64 KiB SRAM) under QEMU, the
// board Pigweed's own QEMU target uses. Everything lives in the part's 64 KiB of SRAM: the agent
// (18 KiB short linear memory and its runtime), a 6 KiB stack, and the emulated agent flash,
// which follows the nRF52840 layout (board/nrf52840.json, 1 MiB of 4 KiB sectors) sparsely
// backed by the 37 KiB EMULATION region: 58 pages of 512 bytes, enough for the factory image,
// the test bundles and the records (the demo peaks at 55).
#ifndef AIRLOCK_BOARD_H
#define AIRLOCK_BOARD_H

#define BOARD_NAME "lm3s6965evb"
#define NOR_EMU_MAX_BYTES (1024u * 1024u)
#define NOR_EMU_POOL_PAGES 58u /* 58 x (512 + 64 + 2) bytes, beside a 4 KiB page table */

/**
 * SysTick on the core clock (QEMU's Stellaris model: 200 MHz / (SYSDIV + 1) = 12.5 MHz with the
 * reset value of RCC) and the -icount shift QEMU must run with (board/native/machines.ts says
 * the same); instruction-counter.c's calibration fails the run if they ever disagree.
 */
#define BOARD_TIMER_HZ 12500000u
#define BOARD_ICOUNT_SHIFT 7u

/** UART0's clock, for its baud divisors: the system clock. */
#define BOARD_UART_CLOCK_HZ 12500000u

#endif
