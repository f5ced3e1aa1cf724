// Arm MPS2 AN386 (Cortex-M4) under QEMU: the emulated agent flash uses the nRF52840 layout
// (board/nrf52840.json, 1 MiB of uniform 4 KiB sectors), fully backed by the 2 MiB EMULATION RAM.
#ifndef AIRLOCK_BOARD_H
#define AIRLOCK_BOARD_H

#define BOARD_NAME "mps2-an386"
#define NOR_EMU_MAX_BYTES (1024u * 1024u)
#define NOR_EMU_POOL_PAGES 2048u /* the whole megabyte: 2048 pages of 512 bytes */

/** Timer clock and the -icount shift QEMU must run with (board/native/machines.ts says the same). */
#define BOARD_TIMER_HZ 25000000u
#define BOARD_ICOUNT_SHIFT 10u

/** The UART's APB clock, for its baud divider. */
#define BOARD_UART_CLOCK_HZ 25000000u

#endif
