// Semihosting: the debugger (here QEMU, with -semihosting-config enable=on) services a BKPT 0xAB
// trap on behalf of the target. It is the only output channel the firmware uses, so the same
// image runs on every board without a UART driver. On real silicon without a debugger attached a
// BKPT escalates to HardFault: replace these with a UART or RTT channel there (board/README.md).
#ifndef AIRLOCK_SEMIHOST_H
#define AIRLOCK_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/** Writes len bytes to the host console. */
void semihost_write(const char *text, size_t len);

/** Writes a zero-terminated string to the host console. */
void semihost_puts(const char *text);

/**
 * Copies the command line the debugger holds (QEMU: the `arg=` values of -semihosting-config,
 * joined by spaces) into buffer, zero-terminated. Returns its length, or -1 if there is none or
 * it does not fit.
 */
int semihost_cmdline(char *buffer, size_t size);

/** Ends the emulation: status 0 is success, anything else failure. Never returns. */
__attribute__((noreturn)) void semihost_exit(int status);

#endif
