// The STM32F405's USART1 (RM0090 section 30) at 0x40011000: polled, flags in SR. QEMU connects it
// to the first -serial.
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "uart.h"

#define USART1_BASE 0x40011000u
#define USART1_SR (*(volatile uint32_t *)(USART1_BASE + 0x00u))
#define USART1_DR (*(volatile uint32_t *)(USART1_BASE + 0x04u))
#define USART1_BRR (*(volatile uint32_t *)(USART1_BASE + 0x08u))
#define USART1_CR1 (*(volatile uint32_t *)(USART1_BASE + 0x0Cu))
#define RCC_APB2ENR (*(volatile uint32_t *)0x40023844u)
#define RCC_APB2ENR_USART1EN (1u << 4)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)

void uart_init(void) {
  RCC_APB2ENR |= RCC_APB2ENR_USART1EN;  // the USART's bus clock (needed on silicon)
  USART1_BRR = BOARD_UART_CLOCK_HZ / 115200u;
  USART1_CR1 = CR1_UE | CR1_TE | CR1_RE;
}

size_t uart_read(uint8_t *out, size_t max) {
  size_t n = 0;
  while (n < max && (USART1_SR & SR_RXNE) != 0) out[n++] = (uint8_t)USART1_DR;
  return n;
}

void uart_write(const uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++) {
    while ((USART1_SR & SR_TXE) == 0) {
    }
    USART1_DR = bytes[i];
  }
}
