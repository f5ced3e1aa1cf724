// Line-oriented console output without printf: newlib's printf pulls in ~20 KB and a heap, and
// the figures this firmware reports (code size, stack) must be the agent's, not stdio's.
#ifndef AIRLOCK_CONSOLE_H
#define AIRLOCK_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void console_str(const char *text);
void console_u32(uint32_t value);
void console_i32(int32_t value);
/** Lower-case hex, two digits per byte, in memory order (how digests are printed). */
void console_hex(const uint8_t *bytes, size_t len);
void console_end_line(void);

#endif
