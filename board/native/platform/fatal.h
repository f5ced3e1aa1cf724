// The one way firmware code gives up: report what failed and why over the console, then end
// the run with a failure status (on a product: log and reset).
#ifndef AIRLOCK_FATAL_H
#define AIRLOCK_FATAL_H

__attribute__((noreturn)) void fatal(const char *what, const char *detail);

#endif
