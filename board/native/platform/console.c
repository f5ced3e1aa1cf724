#include "console.h"

#include "semihost.h"

// One line is collected here and written with a single semihosting call, so QEMU's output
// is never interleaved mid-line and each call costs one trap, not one per character.
static char line[256];
static size_t line_len;

static void flush_line(void) {
  semihost_write(line, line_len);
  line_len = 0;
}

static void put_char(char c) {
  if (line_len == sizeof line) flush_line();
  line[line_len++] = c;
}

void console_str(const char *text) {
  while (*text != '\0') put_char(*text++);
}

void console_u32(uint32_t value) {
  char digits[10];
  size_t count = 0;
  do {
    digits[count++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (count > 0) put_char(digits[--count]);
}

void console_i32(int32_t value) {
  if (value < 0) {
    put_char('-');
    console_u32(0u - (uint32_t)value);
  } else {
    console_u32((uint32_t)value);
  }
}

void console_hex(const uint8_t *bytes, size_t len) {
  static const char nibble[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    put_char(nibble[bytes[i] >> 4]);
    put_char(nibble[bytes[i] & 0xf]);
  }
}

void console_end_line(void) {
  put_char('\n');
  flush_line();
}
