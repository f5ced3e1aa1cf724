// Stack usage by painting: startup fills the stack with a pattern, and the deepest word that no
// longer holds it marks the peak. Measures what actually ran, including the agent's frames.
#ifndef AIRLOCK_STACK_H
#define AIRLOCK_STACK_H

#include <stdint.h>

/** Repaints the stack below the caller's frame, to measure the peak of what runs next. */
void stack_paint(void);

/** Deepest stack use since the last paint, in bytes from the top of the stack. */
uint32_t stack_peak_bytes(void);

/** Bytes reserved for the stack by the linker script. */
uint32_t stack_size_bytes(void);

#endif
