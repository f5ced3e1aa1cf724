// Netduino Plus 2 (STM32F405RG, Cortex-M4) under QEMU: the emulated agent flash uses the
// STM32F4 layout (board/stm32f4.json, 1 MiB in 16/64/128 KiB sectors), sparsely backed by the
// 64 KiB EMULATION RAM: enough pages for the factory image, the test bundles and the records.
#ifndef AIRLOCK_BOARD_H
#define AIRLOCK_BOARD_H

#define BOARD_NAME "netduinoplus2"
#define NOR_EMU_MAX_BYTES (1024u * 1024u)
#define NOR_EMU_POOL_PAGES 100u /* 100 x (512 + 64 + 2) bytes, beside a 4 KiB page table */

/** Timer clock and the -icount shift QEMU must run with (board/native/machines.ts says the same). */
#define BOARD_TIMER_HZ 1000000000u
#define BOARD_ICOUNT_SHIFT 0u

/** USART1's APB2 clock, for its baud divider (84 MHz with the PLL at 168 MHz). */
#define BOARD_UART_CLOCK_HZ 84000000u

#endif
