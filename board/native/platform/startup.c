// Cortex-M startup: the vector table, the reset handler and the fault handlers, for any
// ARMv7-M part. The linker script (sections.ld) provides the symbols used here.
//
// Reset paints the unused stack with a known word before main runs, so stack_peak_bytes() can
// later tell how deep the stack ever went: the lowest word no longer holding the paint.
#include <stdint.h>
#include <string.h>

#include "fatal.h"
#include "semihost.h"
#include "stack.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);

#define STACK_PAINT 0xA5A5A5A5u
// Words just below the live stack pointer left unpainted: the painting code's own frame.
#define PAINT_MARGIN_WORDS 16u

static uint32_t *current_sp(void) {
  uint32_t *sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

void stack_paint(void) {
  uint32_t *end = current_sp() - PAINT_MARGIN_WORDS;
  for (uint32_t *word = __stack_limit; word < end; word++) *word = STACK_PAINT;
}

uint32_t stack_peak_bytes(void) {
  uint32_t *word = __stack_limit;
  while (word < __stack_top && *word == STACK_PAINT) word++;
  return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)word);
}

uint32_t stack_size_bytes(void) { return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit); }

__attribute__((noreturn)) void reset_handler(void) {
  memcpy(__data_start, __data_load, (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start));
  memset(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));
  stack_paint();
  semihost_exit(main());
}

static void fault(const char *name) {
  // CFSR and HFSR (System Control Block) say which fault and why; print them for the post-mortem.
  static const char hex[] = "0123456789abcdef";
  uint32_t registers[2] = {*(volatile uint32_t *)0xE000ED28u, *(volatile uint32_t *)0xE000ED2Cu};
  char detail[] = "CFSR=00000000 HFSR=00000000";
  for (int r = 0; r < 2; r++) {
    for (int i = 0; i < 8; i++) detail[5 + r * 14 + i] = hex[(registers[r] >> (28 - 4 * i)) & 0xf];
  }
  fatal(name, detail);
}

static void hard_fault_handler(void) { fault("HardFault"); }
static void mem_manage_handler(void) { fault("MemManage fault"); }
static void bus_fault_handler(void) { fault("BusFault"); }
static void usage_fault_handler(void) { fault("UsageFault"); }
static void unexpected_interrupt(void) { fault("unexpected interrupt"); }
// A board whose timer counts SysTick wraps (lm3s6965evb) defines this; elsewhere it never fires.
__attribute__((weak)) void systick_handler(void) { fault("unexpected SysTick"); }

typedef void (*vector_t)(void);

// The ARMv7-M exception table: the initial stack pointer, then handlers 1-15. Interrupts
// (16 and up) are not used by this firmware and not listed; it never enables one. SysTick is
// enabled only by a board timer that needs it.
__attribute__((section(".vectors"), used)) static const vector_t vector_table[16] = {
    (vector_t)(uintptr_t)__stack_top,
    reset_handler,
    unexpected_interrupt, /* NMI */
    hard_fault_handler,
    mem_manage_handler,
    bus_fault_handler,
    usage_fault_handler,
    0, 0, 0, 0,           /* reserved */
    unexpected_interrupt, /* SVCall */
    unexpected_interrupt, /* DebugMonitor */
    0,                    /* reserved */
    unexpected_interrupt, /* PendSV */
    systick_handler,      /* SysTick */
};
