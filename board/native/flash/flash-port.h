// The agent's flash imports (WASM module "flash": read, program, erase), as wasm2c declares them:
// functions taking the import instance first. The instance tells them where the agent's linear
// memory is, because the agent passes buffers as offsets into that memory.
#ifndef AIRLOCK_FLASH_PORT_H
#define AIRLOCK_FLASH_PORT_H

#include "wasm-rt.h"

struct Z_flash_instance_t {
  wasm_rt_memory_t *agent_memory;
};

#endif
