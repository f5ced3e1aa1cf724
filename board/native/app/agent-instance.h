// The one agent instance of the firmware, wired to the flash driver. Power-on instantiates the
// module afresh (zeroed linear memory, data segments loaded), as the simulator does on every
// simulated power-on: nothing in the agent's memory survives a reset, only flash does.
#ifndef AIRLOCK_AGENT_INSTANCE_H
#define AIRLOCK_AGENT_INSTANCE_H

#include <stdint.h>

#include "agent.h"

extern Z_agent_instance_t agent;

/** Initialises the runtime and instantiates the agent. */
void agent_power_on(void);

/** Frees the instance (its memory page goes back to the runtime). */
void agent_power_off(void);

/** The agent's I/O window: a C pointer to io_ptr() in its linear memory, io_len() bytes. */
uint8_t *agent_io(void);
uint32_t agent_io_len(void);

#endif
