// The flash driver: the three operations the agent's flash port needs, on plain C pointers, in
// the agent's flash address space (address 0 is the first byte of the region the layout
// descriptor describes). One implementation per controller; on QEMU it is nor-emu.c.
//
// Contract (the simulator's, host-sim/flash.ts, so the agent behaves the same everywhere):
// return OK (0) or one of the ERR_FLASH_* codes of assembly/status.ts, change nothing when
// returning an error, and block until the operation is finished. See board/README.md for a
// real controller.
#ifndef AIRLOCK_FLASH_DRIVER_H
#define AIRLOCK_FLASH_DRIVER_H

#include <stdint.h>

/** Copies len bytes at addr into dst. Zero bytes inside the part is fine. */
int32_t flash_driver_read(uint32_t addr, uint8_t *dst, uint32_t len);

/** Programs len bytes at addr: both multiples of the write unit, every unit erased before. */
int32_t flash_driver_program(uint32_t addr, const uint8_t *src, uint32_t len);

/** Erases [addr, addr + len), which starts and ends on sector boundaries. */
int32_t flash_driver_erase(uint32_t addr, uint32_t len);

#endif
