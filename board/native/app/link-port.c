// link.tx: the agent hands over one encoded HDLC frame; it goes out on the UART. A frame outside
// the agent's memory is refused with ERR_IO_RANGE, as the simulator's import does.
#include "link-port.h"

#include "agent.h"
#include "airlock-status.h"
#include "uart.h"

u32 Z_linkZ_tx(struct Z_link_instance_t *link, u32 ptr, u32 len) {
  wasm_rt_memory_t *memory = link->agent_memory;
  if ((uint64_t)ptr + len > memory->size) return (u32)ERR_IO_RANGE;
  uart_write(memory->data + ptr, len);
  return OK;
}
