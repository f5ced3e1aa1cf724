// Configuration and the one hook of the static wasm2c runtime (wasm-rt-static.c).
#ifndef AIRLOCK_WASM_RT_STATIC_H
#define AIRLOCK_WASM_RT_STATIC_H

/** Elements in the single funcref (and single externref) table; the agent's table is tiny. */
#ifndef WASM_RT_STATIC_TABLE_ELEMENTS
#define WASM_RT_STATIC_TABLE_ELEMENTS 32
#endif

/**
 * Called on a trap or a runtime misuse, with what failed and why. The firmware reports it over
 * its console and halts (or resets, on a product); it must not return.
 */
__attribute__((noreturn)) void wasm_rt_static_fatal(const char *what, const char *detail);

#endif
