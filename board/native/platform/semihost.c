// Semihosting calls per the Arm "Semihosting for AArch32 and AArch64" specification: r0 holds
// the operation number, r1 a pointer to its parameter block, and BKPT 0xAB (Thumb) traps to the
// debugger, which returns its result in r0.
#include "semihost.h"

enum {
  SYS_OPEN = 0x01,                           // open a host file; ":tt" is the host's console
  SYS_WRITE = 0x05,                          // write a buffer to a host file handle
  SYS_GET_CMDLINE = 0x15,                    // the command line (QEMU: -semihosting-config arg=)
  SYS_EXIT = 0x18,                           // report an exception/exit reason to the host
  OPEN_MODE_WRITE = 4,                       // fopen mode "w": ":tt" opened so is stdout
  ADP_STOPPED_APPLICATION_EXIT = 0x20026,    // normal program end: QEMU exits with status 0
  ADP_STOPPED_RUNTIME_ERROR_UNKNOWN = 0x20023, // abnormal end: QEMU exits with status 1
};

static int semihost_call(int operation, void *parameters) {
  register int r0 __asm__("r0") = operation;
  register void *r1 __asm__("r1") = parameters;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

// Opened on first use: before startup has run, static state cannot be relied on.
static int console_handle = -1;

void semihost_write(const char *text, size_t len) {
  if (console_handle < 0) {
    static const char console_name[] = ":tt";
    uint32_t open_block[3] = {(uint32_t)(uintptr_t)console_name, OPEN_MODE_WRITE, sizeof console_name - 1};
    console_handle = semihost_call(SYS_OPEN, open_block);
  }
  uint32_t block[3] = {(uint32_t)console_handle, (uint32_t)(uintptr_t)text, (uint32_t)len};
  semihost_call(SYS_WRITE, block);
}

void semihost_puts(const char *text) {
  size_t len = 0;
  while (text[len] != '\0') len++;
  semihost_write(text, len);
}

int semihost_cmdline(char *buffer, size_t size) {
  if (size == 0) return -1;
  uint32_t block[2] = {(uint32_t)(uintptr_t)buffer, (uint32_t)size};
  if (semihost_call(SYS_GET_CMDLINE, block) != 0 || block[1] >= size) return -1;
  buffer[block[1]] = '\0';
  return (int)block[1];
}

void semihost_exit(int status) {
  // AArch32 SYS_EXIT takes the reason code itself in r1, not a parameter block.
  uintptr_t reason = status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN;
  semihost_call(SYS_EXIT, (void *)reason);
  for (;;) {
  }
}
