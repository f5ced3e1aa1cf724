// Runs accesses of the bounds-check probe (probe/oob-probe.wat, translated and compiled as the
// agent is) named on the semihosting command line, in order, and prints each result. An access
// outside the board's memory (the page's first 18 KiB) must trap: the runtime then reports
// "FATAL wasm trap: out of bounds memory or table access" through wasm_rt_static_fatal and the
// run ends with status 1, so nothing after it is printed. test/board-oob-trap.test.ts drives it:
//
//   qemu-system-arm ... -semihosting-config enable=on,target=native,arg=oob-probe,arg=load32:65533
//
// Each argument is <export>:<a>[:<b>[:<c>]] with decimal or 0x-hex numbers (missing ones are 0).
//   call <export> a=<a> b=<b> c=<c>        printed before the call
//   result <export> value=<16 hex digits>  printed after it returned
#include <stdint.h>
#include <string.h>

#include "console.h"
#include "fatal.h"
#include "oob-probe.h"
#include "semihost.h"

static Z_probe_instance_t probe_instance;

typedef u64 (*probe_export_t)(Z_probe_instance_t *, u32, u32, u32);

static const struct {
  const char *name;
  probe_export_t call;
} probe_exports[] = {
    {"load8", Z_probeZ_load8},
    {"load32", Z_probeZ_load32},
    {"load64", Z_probeZ_load64},
    {"load32_offset_max", Z_probeZ_load32_offset_max},
    {"load32_offset_top", Z_probeZ_load32_offset_top},
    {"store8", Z_probeZ_store8},
    {"store32", Z_probeZ_store32},
    {"store64_offset_8", Z_probeZ_store64_offset_8},
    {"fill", Z_probeZ_fill},
    {"copy", Z_probeZ_copy},
};

static probe_export_t find_export(const char *name) {
  for (size_t i = 0; i < sizeof probe_exports / sizeof probe_exports[0]; i++) {
    if (strcmp(probe_exports[i].name, name) == 0) return probe_exports[i].call;
  }
  fatal("probe", "unknown export on the command line");
}

// A decimal or 0x-hex u32 ending at ':' or the end of the token; halts on anything else, so a
// typo in the test cannot silently become address 0.
static u32 parse_u32(const char **cursor) {
  const char *p = *cursor;
  uint64_t value = 0;
  unsigned base = 10;
  if (p[0] == '0' && p[1] == 'x') {
    base = 16;
    p += 2;
  }
  const char *start = p;
  for (; *p != '\0' && *p != ':'; p++) {
    unsigned digit;
    if (*p >= '0' && *p <= '9') digit = (unsigned)(*p - '0');
    else if (base == 16 && *p >= 'a' && *p <= 'f') digit = (unsigned)(*p - 'a' + 10);
    else fatal("probe", "bad number on the command line");
    value = value * base + digit;
    if (value > UINT32_MAX) fatal("probe", "number on the command line exceeds 32 bits");
  }
  if (p == start) fatal("probe", "empty number on the command line");
  if (*p == ':') p++;
  *cursor = p;
  return (u32)value;
}

static void print_u64_hex(u64 value) {
  uint8_t big_endian[8];
  for (int i = 0; i < 8; i++) big_endian[i] = (uint8_t)(value >> (56 - 8 * i));
  console_hex(big_endian, sizeof big_endian);
}

static void run_access(char *token) {
  char *colon = strchr(token, ':');
  if (colon == NULL) fatal("probe", "an access is <export>:<a>[:<b>[:<c>]]");
  *colon = '\0';
  probe_export_t call = find_export(token);
  const char *cursor = colon + 1;
  u32 args[3] = {0, 0, 0};
  for (int i = 0; i < 3 && *cursor != '\0'; i++) args[i] = parse_u32(&cursor);
  if (*cursor != '\0') fatal("probe", "more than three arguments");

  console_str("call ");
  console_str(token);
  console_str(" a=");
  console_u32(args[0]);
  console_str(" b=");
  console_u32(args[1]);
  console_str(" c=");
  console_u32(args[2]);
  console_end_line();
  u64 value = call(&probe_instance, args[0], args[1], args[2]);
  console_str("result ");
  console_str(token);
  console_str(" value=");
  print_u64_hex(value);
  console_end_line();
}

int main(void) {
  static char cmdline[512];
  if (semihost_cmdline(cmdline, sizeof cmdline) < 0) fatal("probe", "no semihosting command line");
  wasm_rt_init();
  Z_probe_init_module();
  Z_probe_instantiate(&probe_instance);

  // Words separated by spaces (strtok is not used: newlib's needs a heap). The first word is the
  // program's name; every later one is an access.
  char *word = cmdline;
  for (int index = 0; *word != '\0'; index++) {
    char *end = strchr(word, ' ');
    if (end != NULL) *end = '\0';
    if (index > 0 && *word != '\0') run_access(word);
    if (end == NULL) break;
    word = end + 1;
  }
  console_str("probe done");
  console_end_line();
  return 0;
}
