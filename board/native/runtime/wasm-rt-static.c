// A bare-metal runtime for wasm2c 1.0.32 output (the API in wasm2c's wasm-rt.h), sized for the
// airlock agent: no heap, no mmap, no signals, no setjmp.
//
// - Linear memory is static: the agent declares exactly one page, initial and maximum, and never
//   grows it (DESIGN.md), so growth always fails and a module asking for anything else is
//   refused at instantiation rather than at some later, rarer moment. Of that page only the
//   first AIRLOCK_LINEAR_MEMORY_BYTES (generated airlock-memory.h, 18 KiB) exist as RAM: all
//   the agent ever touches. memory->size says so, and every access above it traps.
// - Every out-of-bounds access is caught by wasm2c's explicit range checks: 32-bit Cortex-M has
//   no MMU guard pages, so WASM_RT_MEMCHECK_SIGNAL_HANDLER is 0 and the checks are compiled in.
//   The build rewrites them to compare against that constant (fixed-memory-bounds.ts, which also
//   refuses a module that asks memory.size), sound only because this file keeps memory->size at
//   exactly the constant for an instance's life.
// - Call depth is counted (WASM_RT_USE_STACK_DEPTH_COUNT) and exhaustion traps before the C
//   stack can overflow into other RAM.
// - A trap is a bug in the agent (it is written never to trap on any input), so it is reported
//   with its reason and the firmware halts; there is no unwinding to resume from.
// - Exception handling (wasm2c --enable-exceptions) is not supported: the agent does not use it
//   and a module that did would fail to link here, not at run time.
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "airlock-memory.h"
#include "wasm-rt.h"
#include "wasm-rt-static.h"

#define WASM_PAGE_BYTES 65536u

_Static_assert(AIRLOCK_LINEAR_MEMORY_BYTES <= WASM_PAGE_BYTES && AIRLOCK_LINEAR_MEMORY_BYTES % 8u == 0u,
               "the board's linear memory is at most the one declared page");

// ---- fatal errors ----

__attribute__((noreturn)) static void report_and_halt(const char *what, const char *detail) {
  wasm_rt_static_fatal(what, detail);
  for (;;) {
  }
}

// newlib's assert() calls this; the generated module asserts that the runtime was initialised.
// Defining it here keeps fprintf and the heap out of the image.
void __assert_func(const char *file, int line, const char *function, const char *expression) {
  (void)file;
  (void)line;
  (void)function;
  report_and_halt("wasm runtime assertion failed", expression);
}

// ---- initialisation ----

static bool runtime_initialized;

void wasm_rt_init(void) { runtime_initialized = true; }

bool wasm_rt_is_initialized(void) { return runtime_initialized; }

void wasm_rt_free(void) { runtime_initialized = false; }

// ---- traps ----

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
#endif

const char *wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return "out of bounds memory or table access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid float to integer conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "invalid call_indirect";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
#if !WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
#endif
  }
  return "unknown trap";
}

void wasm_rt_trap(wasm_rt_trap_t trap) { report_and_halt("wasm trap", wasm_rt_strerror(trap)); }

// ---- function types (for call_indirect signature checks) ----

// A signature is its parameter and result types in order; equal signatures get equal indices,
// which is all call_indirect compares.
#define MAX_FUNC_TYPES 32 /* the agent has 11; more halts with a message, never corrupts */
#define MAX_SIGNATURE_TYPES 16

typedef struct {
  uint8_t params;
  uint8_t results;
  uint8_t types[MAX_SIGNATURE_TYPES];
} func_signature_t;

static func_signature_t func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  if (params + results > MAX_SIGNATURE_TYPES) {
    report_and_halt("wasm function type", "more parameters and results than MAX_SIGNATURE_TYPES");
  }
  func_signature_t signature = {(uint8_t)params, (uint8_t)results, {0}};
  va_list types;
  va_start(types, results);
  for (uint32_t i = 0; i < params + results; i++) signature.types[i] = (uint8_t)va_arg(types, int);
  va_end(types);

  for (uint32_t i = 0; i < func_type_count; i++) {
    if (memcmp(&func_types[i], &signature, sizeof signature) == 0) return i + 1;
  }
  if (func_type_count == MAX_FUNC_TYPES) {
    report_and_halt("wasm function type", "more distinct signatures than MAX_FUNC_TYPES");
  }
  func_types[func_type_count++] = signature;
  return func_type_count;  // 1-based: 0 stays the type of the null funcref
}

// ---- linear memory: the first AIRLOCK_LINEAR_MEMORY_BYTES of one page ----

static uint8_t linear_memory[AIRLOCK_LINEAR_MEMORY_BYTES] __attribute__((aligned(8)));
static bool linear_memory_in_use;

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages) {
  if (initial_pages != 1 || max_pages != 1) {
    report_and_halt("wasm memory", "the module must declare exactly one page (initial 1, maximum 1)");
  }
  if (linear_memory_in_use) {
    report_and_halt("wasm memory", "only one module instance may exist at a time; free the old one");
  }
  linear_memory_in_use = true;
  memset(linear_memory, 0, sizeof linear_memory);  // a fresh instance starts from zeroed memory
  memory->data = linear_memory;
  memory->pages = 1;
  memory->max_pages = 1;
  memory->size = AIRLOCK_LINEAR_MEMORY_BYTES;  // the bound every access is checked against
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t pages) {
  if (pages == 0) return memory->pages;  // memory.grow 0 is a size query, which must succeed
  return UINT32_MAX;
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) {
  if (memory->data == linear_memory) linear_memory_in_use = false;
  memory->data = NULL;
  memory->size = 0;
  memory->pages = 0;
}

// ---- tables: one static table of each kind ----

static wasm_rt_funcref_t funcref_elements[WASM_RT_STATIC_TABLE_ELEMENTS];
static bool funcref_table_in_use;
static wasm_rt_externref_t externref_elements[WASM_RT_STATIC_TABLE_ELEMENTS];
static bool externref_table_in_use;

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements,
                                    uint32_t max_elements) {
  if (elements > WASM_RT_STATIC_TABLE_ELEMENTS || funcref_table_in_use) {
    report_and_halt("wasm table", "funcref table larger than WASM_RT_STATIC_TABLE_ELEMENTS or already in use");
  }
  funcref_table_in_use = true;
  for (uint32_t i = 0; i < elements; i++) funcref_elements[i] = wasm_rt_funcref_null_value;
  table->data = funcref_elements;
  table->size = elements;
  table->max_size = max_elements < WASM_RT_STATIC_TABLE_ELEMENTS ? max_elements : WASM_RT_STATIC_TABLE_ELEMENTS;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) {
  if (table->data == funcref_elements) funcref_table_in_use = false;
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta, wasm_rt_funcref_t init) {
  uint32_t old_size = table->size;
  if (delta > table->max_size - old_size) return UINT32_MAX;
  for (uint32_t i = old_size; i < old_size + delta; i++) table->data[i] = init;
  table->size = old_size + delta;
  return old_size;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *table, uint32_t elements,
                                      uint32_t max_elements) {
  if (elements > WASM_RT_STATIC_TABLE_ELEMENTS || externref_table_in_use) {
    report_and_halt("wasm table", "externref table larger than WASM_RT_STATIC_TABLE_ELEMENTS or already in use");
  }
  externref_table_in_use = true;
  for (uint32_t i = 0; i < elements; i++) externref_elements[i] = wasm_rt_externref_null_value;
  table->data = externref_elements;
  table->size = elements;
  table->max_size = max_elements < WASM_RT_STATIC_TABLE_ELEMENTS ? max_elements : WASM_RT_STATIC_TABLE_ELEMENTS;
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *table) {
  if (table->data == externref_elements) externref_table_in_use = false;
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *table, uint32_t delta,
                                      wasm_rt_externref_t init) {
  uint32_t old_size = table->size;
  if (delta > table->max_size - old_size) return UINT32_MAX;
  for (uint32_t i = old_size; i < old_size + delta; i++) table->data[i] = init;
  table->size = old_size + delta;
  return old_size;
}
