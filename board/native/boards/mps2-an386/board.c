// The AN386 FPGA image's CMSDK APB timer 0 (Arm DDI 0479, "APB timer"), clocked at 25 MHz:
// a 32-bit down-counter, reloaded from RELOAD when it reaches zero.
#include <stdint.h>

#include "board.h"
#include "timer.h"

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define CTRL_ENABLE 1u

void board_timer_start(void) {
  TIMER0_CTRL = 0;
  TIMER0_RELOAD = 0xFFFFFFFFu;
  TIMER0_VALUE = 0xFFFFFFFFu;
  TIMER0_CTRL = CTRL_ENABLE;
}

uint32_t board_timer_ticks(void) { return 0xFFFFFFFFu - TIMER0_VALUE; }
