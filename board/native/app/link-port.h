// The link variant's import (WASM module "link": tx), as wasm2c declares it: one whole HDLC frame
// at an offset of the agent's memory, sent on the UART.
#ifndef AIRLOCK_LINK_PORT_H
#define AIRLOCK_LINK_PORT_H

#include "wasm-rt.h"

struct Z_link_instance_t {
  wasm_rt_memory_t *agent_memory;
};

#endif
