// Instructions executed between two points, on QEMU with -icount (see platform/timer.h):
// start and stop read the board timer; the fixed cost of the two reads themselves is measured
// once by instruction_counter_calibrate() and subtracted.
#ifndef AIRLOCK_INSTRUCTION_COUNTER_H
#define AIRLOCK_INSTRUCTION_COUNTER_H

#include <stdint.h>

/**
 * Starts the timer, measures the cost of an empty start/stop pair, and checks the method on a
 * loop of known length: N more iterations of a two-instruction loop must count exactly 2N more
 * instructions. A mismatch (QEMU run without the matching -icount shift) is fatal.
 */
void instruction_counter_calibrate(void);

void instruction_counter_start(void);

/** Instructions executed since instruction_counter_start(), the measurement's own cost removed. */
uint32_t instruction_counter_stop(void);

#endif
