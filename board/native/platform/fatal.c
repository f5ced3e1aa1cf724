#include "fatal.h"

#include "console.h"
#include "semihost.h"
#include "wasm-rt-static.h"

void fatal(const char *what, const char *detail) {
  console_str("FATAL ");
  console_str(what);
  console_str(": ");
  console_str(detail);
  console_end_line();
  semihost_exit(1);
}

// The static wasm runtime's traps and misuse end up here too.
void wasm_rt_static_fatal(const char *what, const char *detail) { fatal(what, detail); }
