// STM32F405 TIM2 (RM0090 section 18), a 32-bit general-purpose timer, free-running upwards with
// no prescaler and the largest auto-reload value.
#include <stdint.h>

#include "board.h"
#include "timer.h"

#define TIM2_BASE 0x40000000u
#define TIM2_CR1 (*(volatile uint32_t *)(TIM2_BASE + 0x00u))
#define TIM2_EGR (*(volatile uint32_t *)(TIM2_BASE + 0x14u))
#define TIM2_CNT (*(volatile uint32_t *)(TIM2_BASE + 0x24u))
#define TIM2_PSC (*(volatile uint32_t *)(TIM2_BASE + 0x28u))
#define TIM2_ARR (*(volatile uint32_t *)(TIM2_BASE + 0x2Cu))
#define RCC_APB1ENR (*(volatile uint32_t *)0x40023840u)
#define RCC_APB1ENR_TIM2EN 1u
#define CR1_CEN 1u
#define EGR_UG 1u

void board_timer_start(void) {
  RCC_APB1ENR |= RCC_APB1ENR_TIM2EN;  // the timer's bus clock (needed on silicon)
  TIM2_CR1 = 0;
  TIM2_PSC = 0;
  TIM2_ARR = 0xFFFFFFFFu;
  TIM2_EGR = EGR_UG;  // load PSC and ARR now
  TIM2_CNT = 0;
  TIM2_CR1 = CR1_CEN;
}

uint32_t board_timer_ticks(void) { return TIM2_CNT; }
