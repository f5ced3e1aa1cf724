// A device on a wire: the link variant of the agent (build/agent-link.wasm, through wasm2c) with
// its UART as Pigweed's pw_hdlc/pw_rpc/pw_transfer link, as a product's firmware would run it.
// At power-on: configure, provision at the factory if the flash is blank, boot, and confirm a
// trial image (this firmware's "self-test" is that it booted). Then the main loop: UART bytes
// into link_rx, time into link_tick, verify/apply work through update_poll budgets, and a reset
// when link_tick says an installed update waits for one. The host drives it with `airlock send`
// (test/board-uart.test.ts); what runs is printed over semihosting as update-demo prints it.
// Built twice per machine: for the board's own layout, and as link-device-pigweed.elf for its
// layout with Pigweed's test targets (app, file1, file2) and a P-256 root (test/board-pigweed.test.ts).
#include <string.h>

#include "agent-instance.h"
#include "airlock-status.h"
#include "board.h"
#include "console.h"
#include "device-common.h"
#include "fatal.h"
#include "layout.h"
#include "nor-emu.h"
#include "reset.h"
#include "stack.h"
#include "timer.h"
#include "uart.h"

/** Bytes hashed or copied per update_poll: what a main loop between other tasks affords. */
#define POLL_BUDGET_BYTES 4096u
/** Bytes taken from the UART per link_rx call (the agent accepts up to LINK_RX_BYTES). */
#define RX_CHUNK 256u
#define TICKS_PER_MS (BOARD_TIMER_HZ / 1000u)

int main(void) {
  int flash_kept = nor_emu_power_on(&layout_geometry);
  board_timer_start();
  uart_init();
  console_str("power-on " BOARD_NAME " layout=" LAYOUT_BOARD_NAME);
  console_str(flash_kept ? " flash=kept" : " flash=blank");
  console_end_line();

  agent_power_on();
  configure();
  int32_t slot = (int32_t)Z_agentZ_boot(&agent);
  if (slot == ERR_NOT_PROVISIONED) {
    provision_factory();
    console_str("reset after provisioning");
    console_end_line();
    agent_power_off();
    system_reset();  // the factory's last step: the first real power-on boots what it wrote
  }
  step("boot", slot);
  if (slot < 0) fatal("link-device", "boot failed");
  if ((int32_t)Z_agentZ_boot_info(&agent) == OK && io_u32(4) == 1) step("confirm", (int32_t)Z_agentZ_confirm(&agent));
  print_boot_info();
  print_user_manifest();
  print_status();
  console_str("link ready");
  console_end_line();

  uint32_t last = board_timer_ticks();
  uint32_t pending_ticks = 0;
  for (;;) {
    size_t n = uart_read(agent_io(), RX_CHUNK);
    if (n > 0) Z_agentZ_link_rx(&agent, (u32)n);
    uint32_t now = board_timer_ticks();
    pending_ticks += now - last;  // unsigned: right across the counter's wrap
    last = now;
    uint32_t ms = pending_ticks / TICKS_PER_MS;
    pending_ticks -= ms * TICKS_PER_MS;
    if (Z_agentZ_link_tick(&agent, ms) == 1) {
      console_str("reset into the update");
      console_end_line();
      console_str("resources stack-peak=");  // the deepest the transfer and verification went
      console_u32(stack_peak_bytes());
      console_str(" stack-size=");
      console_u32(stack_size_bytes());
      console_str(" emulation-pages=");  // how close the sparse flash emulation came to its pool
      console_u32(nor_emu_pages_in_use());
      console_str("/");
      console_u32(nor_emu_pool_pages());
      console_end_line();
      agent_power_off();
      system_reset();
    }
    Z_agentZ_update_poll(&agent, POLL_BUDGET_BYTES);
  }
}
