// The AN386 image's CMSDK APB UART0 (Arm DDI 0479, "APB UART") at 0x40004000: one-byte transmit
// and receive buffers, flags in STATE. QEMU connects it to the first -serial.
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "uart.h"

#define UART0_DATA (*(volatile uint32_t *)0x40004000u)
#define UART0_STATE (*(volatile uint32_t *)0x40004004u)
#define UART0_CTRL (*(volatile uint32_t *)0x40004008u)
#define UART0_BAUDDIV (*(volatile uint32_t *)0x40004010u)
#define STATE_TX_FULL 1u
#define STATE_RX_FULL 2u
#define CTRL_TX_EN 1u
#define CTRL_RX_EN 2u

void uart_init(void) {
  UART0_BAUDDIV = BOARD_UART_CLOCK_HZ / 115200u;  // at least 16, as the UART requires
  UART0_CTRL = CTRL_TX_EN | CTRL_RX_EN;
}

size_t uart_read(uint8_t *out, size_t max) {
  size_t n = 0;
  while (n < max && (UART0_STATE & STATE_RX_FULL) != 0) out[n++] = (uint8_t)UART0_DATA;
  return n;
}

void uart_write(const uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++) {
    while ((UART0_STATE & STATE_TX_FULL) != 0) {
    }
    UART0_DATA = bytes[i];
  }
}
