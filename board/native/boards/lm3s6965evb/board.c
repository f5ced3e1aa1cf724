// The LM3S6965's timer for instruction counting: SysTick (ARMv7-M), a 24-bit down-counter on
// the core clock. QEMU's Stellaris general-purpose timers do not let their count be read, so
// the 32-bit up-count timer.h asks for is SysTick's count plus 2^24 per wrap, the wraps counted
// by its exception (the only interrupt this firmware takes).
#include <stdint.h>

#include "board.h"
#include "timer.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define CSR_ENABLE 1u
#define CSR_TICKINT 2u
#define CSR_CLKSOURCE_CORE 4u
#define SYSTICK_MAX 0x00FFFFFFu

static volatile uint32_t wraps;

// Named in startup.c's vector table (a weak default there faults).
void systick_handler(void) { wraps++; }

void board_timer_start(void) {
  SYST_CSR = 0;
  SYST_RVR = SYSTICK_MAX;
  SYST_CVR = 0;  // any write clears the count; it reloads on the next tick
  wraps = 0;
  SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE_CORE;
}

uint32_t board_timer_ticks(void) {
  uint32_t before, count;
  do {  // a wrap between the two reads would pair an old wrap count with a new count
    before = wraps;
    count = SYST_CVR;
  } while (before != wraps);
  return before * (SYSTICK_MAX + 1u) + (SYSTICK_MAX - count);
}
