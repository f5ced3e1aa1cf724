// A NOR flash part emulated over RAM, as strict as the simulator's (host-sim/flash.ts), so the
// agent meets the same rules on the board as on the host:
//   - read: anywhere inside the part (zero bytes is fine);
//   - program: addr and length multiples of the write unit; every write unit touched erased
//     since it was last programmed, even if the new bytes equal the old ones;
//   - erase: whole sectors only, from a sector start to a sector end;
//   - past the end: out of range; program or erase of zero bytes: a caller bug.
// Invalid operations change nothing. Codes are the "Flash port" group of assembly/status.ts.
//
// The emulated part may be larger than the RAM behind it (an STM32F4's 1 MiB on a board with
// 192 KiB of RAM), so it is sparse: the part is cut into NOR_PAGE_BYTES pages, a page never
// programmed since its sector was erased has no RAM and reads as the erased value, and a page
// gets RAM from a fixed pool on its first program. The pool running dry is a limit of this
// emulation, not a flash error, and halts the firmware with a message naming the fix.
//
// The whole state lives in a .noinit section, so it survives a system reset (a reboot keeps
// its flash) and is formatted (all erased) only on a cold start, when the magic is absent.
#ifndef AIRLOCK_NOR_EMU_H
#define AIRLOCK_NOR_EMU_H

#include <stdint.h>

#include "flash-driver.h"

/** Granule of RAM backing: divides every sector size and is a multiple of every write unit. */
#define NOR_PAGE_BYTES 512u

typedef struct {
  uint32_t size;  /** bytes per sector in this run */
  uint32_t count; /** sectors in this run; runs follow each other from address 0 */
} nor_sector_run_t;

typedef struct {
  const nor_sector_run_t *sectors;
  uint32_t sector_runs;
  uint32_t write_unit;  /** 1, 2, 4, 8, 16 or 32 bytes */
  uint8_t erased_value; /** 0xFF or 0x00 */
} nor_geometry_t;

/**
 * Attaches the emulation to its geometry. Keeps the flash contents when the state in RAM was
 * formatted for the same geometry (a warm reset), else formats it: every byte erased.
 * Returns 1 when the contents were kept, 0 when the part was formatted.
 */
int nor_emu_power_on(const nor_geometry_t *geometry);

/** Total bytes in the part. */
uint32_t nor_emu_size(void);

// The operations are the flash driver's (flash-driver.h): this emulation is QEMU's driver.

/** Program and erase operations since the last format (what the simulator calls flashOps). */
uint32_t nor_emu_operations(void);

/** Pool pages in use and available: how close the emulation is to its RAM limit. */
uint32_t nor_emu_pages_in_use(void);
uint32_t nor_emu_pool_pages(void);

#endif
