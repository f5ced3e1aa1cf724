#include "instruction-counter.h"

#include "board.h"
#include "console.h"
#include "fatal.h"
#include "timer.h"

static uint32_t start_ticks;
static uint32_t overhead_instructions;

// With -icount shift=S every instruction advances virtual time by 2^S ns, and the timer counts
// BOARD_TIMER_HZ per second of it: instructions = ticks * 1e9 / (BOARD_TIMER_HZ * 2^S), rounded
// to the nearest (a timer tick may be shorter than an instruction, or longer: 40 ns at 25 MHz).
static uint32_t instructions_of(uint32_t ticks) {
  uint64_t per_second = (uint64_t)BOARD_TIMER_HZ << BOARD_ICOUNT_SHIFT;
  return (uint32_t)(((uint64_t)ticks * 1000000000ull + per_second / 2) / per_second);
}

void instruction_counter_start(void) { start_ticks = board_timer_ticks(); }

static uint32_t raw_stop(void) { return instructions_of(board_timer_ticks() - start_ticks); }

uint32_t instruction_counter_stop(void) { return raw_stop() - overhead_instructions; }

// Exactly two instructions per iteration (subs, bne), plus the return.
__attribute__((naked, noinline)) static void spin(uint32_t iterations) {
  (void)iterations;
  __asm__ volatile(
      "1: subs r0, r0, #1\n"
      "   bne 1b\n"
      "   bx lr\n");
}

// Not inlined: both loop lengths must run through the very same instructions around the loop,
// with nothing of the caller's scheduled in between.
__attribute__((noinline)) static uint32_t measure_spin(uint32_t iterations) {
  instruction_counter_start();
  spin(iterations);
  return instruction_counter_stop();
}

void instruction_counter_calibrate(void) {
  board_timer_start();
  overhead_instructions = 0;
  instruction_counter_start();
  overhead_instructions = raw_stop();

  // The difference between two loop lengths cancels the call around them: it must be exactly
  // two instructions per extra iteration if the timer really counts instructions.
  const uint32_t short_loop = 1000, long_loop = 1001000;
  uint32_t short_count = measure_spin(short_loop);
  uint32_t long_count = measure_spin(long_loop);
  uint32_t expected = 2 * (long_loop - short_loop);
  console_str("icount calibration loop-iterations=");
  console_u32(long_loop - short_loop);
  console_str(" expected=");
  console_u32(expected);
  console_str(" measured=");
  console_u32(long_count - short_count);
  console_str(" overhead=");
  console_u32(overhead_instructions);
  console_end_line();
  if (long_count - short_count != expected) {
    fatal("instruction counter", "the timer does not count instructions: run QEMU with "
          "-icount shift=BOARD_ICOUNT_SHIFT (board/native/machines.ts)");
  }
}
