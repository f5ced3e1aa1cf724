// A free-running up-counting timer, one per board (boards/<machine>/board.c). Under QEMU with
// -icount, virtual time advances by exactly 2^shift ns per instruction, so the timer counts
// instructions; see instruction-counter.c.
#ifndef AIRLOCK_TIMER_H
#define AIRLOCK_TIMER_H

#include <stdint.h>

void board_timer_start(void);
uint32_t board_timer_ticks(void);

#endif
