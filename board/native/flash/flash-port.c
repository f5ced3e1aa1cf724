// Glue between the agent's imports and the flash driver. The only work here is turning the
// agent's (offset, length) pairs into C pointers, refusing any that leave its linear memory
// with ERR_IO_RANGE, exactly as the simulator's imports do (host-sim/agent-module.ts): the agent
// never passes one, but if it did, board and simulator would still agree.
#include "flash-port.h"

#include "agent.h"
#include "airlock-status.h"
#include "flash-driver.h"

static uint8_t *agent_bytes(struct Z_flash_instance_t *flash, u32 offset, u32 len) {
  wasm_rt_memory_t *memory = flash->agent_memory;
  if ((uint64_t)offset + len > memory->size) return NULL;
  return memory->data + offset;
}

u32 Z_flashZ_read(struct Z_flash_instance_t *flash, u32 addr, u32 dst, u32 len) {
  uint8_t *bytes = agent_bytes(flash, dst, len);
  return (u32)(bytes ? flash_driver_read(addr, bytes, len) : ERR_IO_RANGE);
}

u32 Z_flashZ_program(struct Z_flash_instance_t *flash, u32 addr, u32 src, u32 len) {
  uint8_t *bytes = agent_bytes(flash, src, len);
  return (u32)(bytes ? flash_driver_program(addr, bytes, len) : ERR_IO_RANGE);
}

u32 Z_flashZ_erase(struct Z_flash_instance_t *flash, u32 addr, u32 len) {
  (void)flash;  // erase passes no buffer
  return (u32)flash_driver_erase(addr, len);
}
