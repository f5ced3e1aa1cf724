#include "reset.h"

#include <stdint.h>

// ARMv7-M Application Interrupt and Reset Control Register: writing VECTKEY with SYSRESETREQ
// asks the system to reset, exactly what a watchdog or a bootloader's reboot does.
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)
#define AIRCR_VECTKEY (0x05FAu << 16)
#define AIRCR_SYSRESETREQ (1u << 2)

void system_reset(void) {
  __asm__ volatile("dsb" ::: "memory");  // finish every outstanding write first
  SCB_AIRCR = AIRCR_VECTKEY | AIRCR_SYSRESETREQ;
  __asm__ volatile("dsb" ::: "memory");
  for (;;) {
  }
}
