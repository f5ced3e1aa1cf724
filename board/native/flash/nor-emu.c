#include "nor-emu.h"

#include <string.h>

#include "airlock-status.h"
#include "board.h"
#include "fatal.h"

#define NOR_EMU_MAGIC 0x4e4f5245u /* "ERON": state formatted by this emulation */
#define MAX_BITMAP_BYTES (NOR_PAGE_BYTES / 8) /* one bit per write unit, write unit >= 1 byte */
#define PAGE_SLOTS (NOR_EMU_MAX_BYTES / NOR_PAGE_BYTES)
#define UNBACKED 0u

typedef struct {
  uint32_t magic;
  uint32_t geometry_signature;
  uint32_t operations;
  uint32_t pages_in_use;
  /** For each page of the part: 0 if it reads erased with no RAM, else its pool index + 1. */
  uint16_t backing_of_page[PAGE_SLOTS];
  /** For each pool page: the part's page it backs + 1, or 0 if free. */
  uint16_t page_of_backing[NOR_EMU_POOL_PAGES];
  /** For each pool page: one bit per write unit, set when programmed since its last erase. */
  uint8_t programmed[NOR_EMU_POOL_PAGES][MAX_BITMAP_BYTES];
  uint8_t bytes[NOR_EMU_POOL_PAGES][NOR_PAGE_BYTES];
} nor_state_t;

// Not zeroed by startup: the flash must outlive a reset, as real flash does.
static nor_state_t state __attribute__((section(".noinit.nor_emu")));
static const nor_geometry_t *geometry;
static uint32_t part_size;

// FNV-1a over the geometry: a firmware built for another part must not inherit these contents.
static uint32_t signature_of(const nor_geometry_t *g) {
  uint32_t hash = 2166136261u;
  uint32_t words[3] = {g->sector_runs, g->write_unit, g->erased_value};
  const uint8_t *p = (const uint8_t *)words;
  for (uint32_t i = 0; i < sizeof words; i++) hash = (hash ^ p[i]) * 16777619u;
  p = (const uint8_t *)g->sectors;
  for (uint32_t i = 0; i < g->sector_runs * sizeof *g->sectors; i++) hash = (hash ^ p[i]) * 16777619u;
  return hash;
}

static void check_geometry(const nor_geometry_t *g) {
  uint32_t unit = g->write_unit;
  if (unit == 0 || unit > 32 || (unit & (unit - 1)) != 0) {
    fatal("NOR emulation", "write unit must be a power of two from 1 to 32");
  }
  if (g->erased_value != 0xFF && g->erased_value != 0x00) {
    fatal("NOR emulation", "erased value must be 0xFF or 0x00");
  }
  uint64_t size = 0;
  for (uint32_t r = 0; r < g->sector_runs; r++) {
    if (g->sectors[r].size == 0 || g->sectors[r].size % NOR_PAGE_BYTES != 0) {
      fatal("NOR emulation", "every sector size must be a non-zero multiple of NOR_PAGE_BYTES");
    }
    size += (uint64_t)g->sectors[r].size * g->sectors[r].count;
  }
  if (size == 0 || size > NOR_EMU_MAX_BYTES) {
    fatal("NOR emulation", "the part is empty or larger than NOR_EMU_MAX_BYTES in board.h");
  }
  part_size = (uint32_t)size;
}

int nor_emu_power_on(const nor_geometry_t *g) {
  check_geometry(g);
  geometry = g;
  uint32_t signature = signature_of(g);
  if (state.magic == NOR_EMU_MAGIC && state.geometry_signature == signature) return 1;
  memset(state.backing_of_page, 0, sizeof state.backing_of_page);
  memset(state.page_of_backing, 0, sizeof state.page_of_backing);
  state.operations = 0;
  state.pages_in_use = 0;
  state.geometry_signature = signature;
  state.magic = NOR_EMU_MAGIC;
  return 0;
}

uint32_t nor_emu_size(void) { return part_size; }
uint32_t nor_emu_operations(void) { return state.operations; }
uint32_t nor_emu_pages_in_use(void) { return state.pages_in_use; }
uint32_t nor_emu_pool_pages(void) { return NOR_EMU_POOL_PAGES; }

static int in_range(uint32_t addr, uint32_t len) {
  return addr <= part_size && len <= part_size - addr;
}

/** True if addr is where a sector starts, or the end of the part. */
static int is_sector_boundary(uint32_t addr) {
  uint32_t start = 0;
  for (uint32_t r = 0; r < geometry->sector_runs; r++) {
    uint32_t run_bytes = geometry->sectors[r].size * geometry->sectors[r].count;
    if (addr < start + run_bytes) return (addr - start) % geometry->sectors[r].size == 0;
    start += run_bytes;
  }
  return addr == part_size;
}

static int unit_programmed(uint32_t backing, uint32_t unit_in_page) {
  return (state.programmed[backing][unit_in_page >> 3] >> (unit_in_page & 7)) & 1;
}

static uint32_t allocate_backing(uint32_t page) {
  for (uint32_t b = 0; b < NOR_EMU_POOL_PAGES; b++) {
    if (state.page_of_backing[b] == UNBACKED) {
      state.page_of_backing[b] = (uint16_t)(page + 1);
      state.backing_of_page[page] = (uint16_t)(b + 1);
      memset(state.bytes[b], geometry->erased_value, NOR_PAGE_BYTES);
      memset(state.programmed[b], 0, MAX_BITMAP_BYTES);
      state.pages_in_use++;
      return b;
    }
  }
  fatal("NOR emulation", "RAM pool exhausted: raise NOR_EMU_POOL_PAGES (and the NOR_BACKING region)");
}

int32_t flash_driver_read(uint32_t addr, uint8_t *dst, uint32_t len) {
  if (!in_range(addr, len)) return ERR_FLASH_OUT_OF_RANGE;
  while (len > 0) {
    uint32_t page = addr / NOR_PAGE_BYTES;
    uint32_t offset = addr % NOR_PAGE_BYTES;
    uint32_t chunk = NOR_PAGE_BYTES - offset < len ? NOR_PAGE_BYTES - offset : len;
    uint32_t backing = state.backing_of_page[page];
    if (backing == UNBACKED) {
      memset(dst, geometry->erased_value, chunk);
    } else {
      memcpy(dst, &state.bytes[backing - 1][offset], chunk);
    }
    dst += chunk;
    addr += chunk;
    len -= chunk;
  }
  return OK;
}

int32_t flash_driver_program(uint32_t addr, const uint8_t *src, uint32_t len) {
  if (len == 0) return ERR_FLASH_EMPTY;
  if (!in_range(addr, len)) return ERR_FLASH_OUT_OF_RANGE;
  uint32_t unit = geometry->write_unit;
  if (addr % unit != 0 || len % unit != 0) return ERR_FLASH_MISALIGNED;

  // Check every unit before changing any: an invalid program changes nothing.
  for (uint32_t at = addr; at < addr + len; at += unit) {
    uint32_t backing = state.backing_of_page[at / NOR_PAGE_BYTES];
    if (backing != UNBACKED && unit_programmed(backing - 1, (at % NOR_PAGE_BYTES) / unit)) {
      return ERR_FLASH_NOT_ERASED;
    }
  }
  for (uint32_t at = addr; at < addr + len; at += unit) {
    uint32_t page = at / NOR_PAGE_BYTES;
    uint32_t backing = state.backing_of_page[page];
    uint32_t b = backing == UNBACKED ? allocate_backing(page) : backing - 1;
    uint32_t unit_in_page = (at % NOR_PAGE_BYTES) / unit;
    memcpy(&state.bytes[b][at % NOR_PAGE_BYTES], src + (at - addr), unit);
    state.programmed[b][unit_in_page >> 3] |= (uint8_t)(1u << (unit_in_page & 7));
  }
  state.operations++;
  return OK;
}

int32_t flash_driver_erase(uint32_t addr, uint32_t len) {
  if (len == 0) return ERR_FLASH_EMPTY;
  if (!in_range(addr, len)) return ERR_FLASH_OUT_OF_RANGE;
  if (!is_sector_boundary(addr) || !is_sector_boundary(addr + len)) return ERR_FLASH_NOT_SECTOR;
  // Sectors are whole pages, so erasing is returning their pages' RAM to the pool.
  for (uint32_t page = addr / NOR_PAGE_BYTES; page < (addr + len) / NOR_PAGE_BYTES; page++) {
    uint32_t backing = state.backing_of_page[page];
    if (backing != UNBACKED) {
      state.page_of_backing[backing - 1] = UNBACKED;
      state.backing_of_page[page] = UNBACKED;
      state.pages_in_use--;
    }
  }
  state.operations++;
  return OK;
}
