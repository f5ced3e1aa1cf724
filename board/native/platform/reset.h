// A real system reset: the core restarts from the vector table, RAM not marked .noinit is
// initialised again, and only flash (here: the emulation's .noinit state) carries over.
#ifndef AIRLOCK_RESET_H
#define AIRLOCK_RESET_H

__attribute__((noreturn)) void system_reset(void);

#endif
