// The LM3S6965's UART0 (an Arm PL011) at 0x4000C000: 16-byte FIFOs, flags in FR. QEMU connects
// it to the first -serial.
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "uart.h"

#define UART0_BASE 0x4000C000u
#define UART0_DR (*(volatile uint32_t *)(UART0_BASE + 0x000u))
#define UART0_FR (*(volatile uint32_t *)(UART0_BASE + 0x018u))
#define UART0_IBRD (*(volatile uint32_t *)(UART0_BASE + 0x024u))
#define UART0_FBRD (*(volatile uint32_t *)(UART0_BASE + 0x028u))
#define UART0_LCRH (*(volatile uint32_t *)(UART0_BASE + 0x02Cu))
#define UART0_CTL (*(volatile uint32_t *)(UART0_BASE + 0x030u))
#define SYSCTL_RCGC1 (*(volatile uint32_t *)0x400FE104u)
#define RCGC1_UART0 1u
#define FR_RXFE 0x10u
#define FR_TXFF 0x20u
#define LCRH_8N1_FIFO 0x70u /* WLEN = 8 bits, FIFOs on */
#define CTL_UARTEN 0x001u
#define CTL_TXE 0x100u
#define CTL_RXE 0x200u
#define BAUD 115200u

void uart_init(void) {
  SYSCTL_RCGC1 |= RCGC1_UART0;  // the UART's clock gate (needed on silicon)
  UART0_CTL = 0;
  // Divisor = clock / (16 * baud) as 16.6 fixed point, rounded: 6.78 -> 6 + 50/64 at 12.5 MHz.
  uint32_t divisor_64ths = (BOARD_UART_CLOCK_HZ * 4u + BAUD / 2u) / BAUD;
  UART0_IBRD = divisor_64ths >> 6;
  UART0_FBRD = divisor_64ths & 63u;
  UART0_LCRH = LCRH_8N1_FIFO;
  UART0_CTL = CTL_UARTEN | CTL_TXE | CTL_RXE;
}

size_t uart_read(uint8_t *out, size_t max) {
  size_t n = 0;
  while (n < max && (UART0_FR & FR_RXFE) == 0) out[n++] = (uint8_t)UART0_DR;
  return n;
}

void uart_write(const uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++) {
    while ((UART0_FR & FR_TXFF) != 0) {
    }
    UART0_DR = bytes[i];
  }
}
