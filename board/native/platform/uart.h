// The board's console UART, one driver per board (boards/<machine>/uart.c): the wire a host's
// `airlock send --serial` (or QEMU's -serial tcp:...) reaches. Polled, no interrupts: the link
// firmware's main loop drains it between update_poll budgets.
#ifndef AIRLOCK_UART_H
#define AIRLOCK_UART_H

#include <stddef.h>
#include <stdint.h>

void uart_init(void);
/** Copies up to max received bytes to out without waiting; returns how many. */
size_t uart_read(uint8_t *out, size_t max);
/** Sends len bytes, waiting for room as needed. */
void uart_write(const uint8_t *bytes, size_t len);

#endif
