// Glue between the agent's imports and the flash driver. The only work here is turning the
// agent's (offset, length) pairs into C pointers, refusing any that leave its linear memory:
// the agent never passes one (it would be a bug), so that is a trap, exactly as the JavaScript
// host throws a RangeError when a view would leave WebAssembly.Memory.
#include "flash-port.h"

#include "agent.h"
#include "flash-driver.h"

static uint8_t *agent_bytes(struct Z_flash_instance_t *flash, u32 offset, u32 len) {
  wasm_rt_memory_t *memory = flash->agent_memory;
  if ((uint64_t)offset + len > memory->size) wasm_rt_trap(WASM_RT_TRAP_OOB);
  return memory->data + offset;
}

u32 Z_flashZ_read(struct Z_flash_instance_t *flash, u32 addr, u32 dst, u32 len) {
  return (u32)flash_driver_read(addr, agent_bytes(flash, dst, len), len);
}

u32 Z_flashZ_program(struct Z_flash_instance_t *flash, u32 addr, u32 src, u32 len) {
  return (u32)flash_driver_program(addr, agent_bytes(flash, src, len), len);
}

u32 Z_flashZ_erase(struct Z_flash_instance_t *flash, u32 addr, u32 len) {
  (void)flash;  // erase passes no buffer
  return (u32)flash_driver_erase(addr, len);
}
