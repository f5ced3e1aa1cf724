#include "agent-instance.h"

#include "fatal.h"
#include "flash-port.h"
#ifdef AIRLOCK_LINK
#include "link-port.h"
#endif

Z_agent_instance_t agent;
static struct Z_flash_instance_t flash;
#ifdef AIRLOCK_LINK
// The link variant (build/agent-link.wasm) imports link.tx too: app/link-port.c.
struct Z_link_instance_t link_port;
#endif
static int module_initialized;

void agent_power_on(void) {
  if (!module_initialized) {
    wasm_rt_init();
    Z_agent_init_module();  // registers function types: once per firmware run
    module_initialized = 1;
  }
  // The imports receive &flash; they need the memory only once an export runs, after this.
#ifdef AIRLOCK_LINK
  Z_agent_instantiate(&agent, &flash, &link_port);
  link_port.agent_memory = &agent.w2c_memory;
#else
  Z_agent_instantiate(&agent, &flash);
#endif
  flash.agent_memory = &agent.w2c_memory;
  // The window must lie inside the page; checked once here so agent_io() can be trusted.
  uint64_t end = (uint64_t)Z_agentZ_io_ptr(&agent) + Z_agentZ_io_len(&agent);
  if (end > agent.w2c_memory.size) fatal("agent", "io_ptr() + io_len() lies outside its memory");
}

void agent_power_off(void) { Z_agent_free(&agent); }

uint8_t *agent_io(void) { return agent.w2c_memory.data + Z_agentZ_io_ptr(&agent); }

uint32_t agent_io_len(void) { return Z_agentZ_io_len(&agent); }
