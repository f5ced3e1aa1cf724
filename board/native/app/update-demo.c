// The update demo: a device's life on a real (emulated) Cortex-M4, making the same ABI calls in
// the same order as the simulator's SimDevice (host-sim/device.ts) does for provision(),
// powerOn(), update(), confirm(). Each power-on configures the agent; what happens next depends
// on how far the demo got, kept across resets in .noinit RAM like a bootloader's "reboot
// reason" word:
//
//   factory:       flash blank -> provision the trusted root and the factory image (slot A)
//   first boot:    boot the factory image, receive the update bundle window by window, verify
//                  and apply it with update_poll
//   after update:  boot the new image (on trial), confirm it, then receive a bundle whose
//                  signature is bad: verification must fail
//   after reject:  boot: the confirmed new image still runs, nothing changed; done
// and between each of them a real core reset (SYSRESETREQ): only flash carries over.
//
// Every call prints one line ("step NAME result=CODE"); every record the agent reports prints
// as "boot ...", "image ...", "status ..."; each update attempt ends with "outcome ..." as
// SimDevice.update() reports it; "flash ..." is the firmware's own SHA-256 of the running slot.
// The host test (test/board-qemu.test.ts) drives SimDevice with the same bundles and requires
// the same lines (all but the "step" lines, which only the firmware sees).
#include <string.h>

#include "agent-instance.h"
#include "device-common.h"
#include "airlock-status.h"
#include "board.h"
#include "console.h"
#include "fatal.h"
#include "fixtures.h"
#include "flash-driver.h"
#include "layout.h"
#include "nor-emu.h"
#include "reset.h"
#include "stack.h"

/** Bytes hashed or copied per update_poll: what a main loop between watchdog kicks affords. */
#define POLL_BUDGET_BYTES 4096u

/** Pigweed's BundledUpdateState / BundledUpdateResult numbers (generated into airlock-status.h). */
#define STATE_INACTIVE UPDATE_STATE_INACTIVE
#define STATE_FINISHED UPDATE_STATE_FINISHED
#define RESULT_SUCCESS UPDATE_RESULT_SUCCESS

enum demo_phase { PHASE_FACTORY = 0, PHASE_FIRST_BOOT = 1, PHASE_AFTER_UPDATE = 2, PHASE_AFTER_REJECT = 3 };

typedef struct {
  uint32_t magic;
  uint32_t phase;
  uint32_t power_on;
} demo_progress_t;

#define DEMO_MAGIC 0x4f4d4544u /* "DEMO" */
static demo_progress_t progress __attribute__((section(".noinit.demo")));

// ---- the steps (each mirrors a SimDevice method) ----

static u32 send_bundle(uint32_t offset, uint32_t n) { return Z_agentZ_update_write(&agent, offset, n); }

/** SimDevice.powerOn() after configure: boot, then what runs. */
static void boot(void) {
  step("boot", (int32_t)Z_agentZ_boot(&agent));
  print_boot_info();
}

/** Runs update_poll until it stops asking to be called again; returns its last answer. */
static int32_t poll_until_idle(const char *name) {
  int32_t rc;
  do {
    rc = (int32_t)Z_agentZ_update_poll(&agent, POLL_BUDGET_BYTES);
  } while (rc == 1);
  return step(name, rc);
}

/** The outcome line of SimDevice.update(): the code that ended it, else the recorded error. */
static void print_outcome(int32_t rc) {
  if ((int32_t)Z_agentZ_update_status(&agent) != OK) fatal("demo", "update_status failed");
  uint32_t state = io_u32(0), result = io_u32(4);
  int32_t error = rc < 0 ? rc : (int32_t)io_u32(16);
  console_str("outcome update ok=");
  console_u32(error == OK && state == STATE_FINISHED && result == RESULT_SUCCESS);
  console_str(" state=");
  console_u32(state);
  console_str(" result=");
  console_u32(result);
  console_str(" error=");
  console_i32(error);
  console_end_line();
}

/**
 * SimDevice.update(): clear a finished session, stage the bundle, verify, apply, each step only
 * if the one before succeeded; then the outcome and the status record.
 */
static void update(const uint8_t *bundle, uint32_t len) {
  int32_t rc = (int32_t)Z_agentZ_update_status(&agent);
  if (rc != OK) fatal("demo", "update_status failed");
  uint32_t state = io_u32(0);
  if (state != STATE_INACTIVE && state != STATE_FINISHED) {
    step("update-abort", (int32_t)Z_agentZ_update_abort(&agent));
    if ((int32_t)Z_agentZ_update_status(&agent) != OK) fatal("demo", "update_status failed");
    state = io_u32(0);
  }
  if (state == STATE_FINISHED) rc = step("update-reset", (int32_t)Z_agentZ_update_reset(&agent));
  if (rc >= 0) rc = step("update-start", (int32_t)Z_agentZ_update_start(&agent));
  if (rc >= 0) rc = step("update-write", send_windows(bundle, len, send_bundle));
  if (rc >= 0) rc = step("update-set-transferred", (int32_t)Z_agentZ_update_set_transferred(&agent, len));
  if (rc >= 0) rc = step("update-verify", (int32_t)Z_agentZ_update_verify(&agent));
  if (rc >= 0) rc = poll_until_idle("update-poll-verify");
  if (rc >= 0) rc = step("update-apply", (int32_t)Z_agentZ_update_apply(&agent));
  if (rc >= 0) rc = poll_until_idle("update-poll-apply");
  print_outcome(rc);
  print_status();
}

static void print_resources(void) {
  console_str("resources flash-ops=");
  console_u32(nor_emu_operations());
  console_str(" emulation-pages=");
  console_u32(nor_emu_pages_in_use());
  console_str("/");
  console_u32(nor_emu_pool_pages());
  console_str(" stack-peak=");
  console_u32(stack_peak_bytes());
  console_end_line();
}

__attribute__((noreturn)) static void reboot(enum demo_phase next) {
  print_resources();
  progress.phase = next;
  agent_power_off();
  console_str("reset");
  console_end_line();
  system_reset();
}

int main(void) {
  int flash_kept = nor_emu_power_on(&layout_geometry);
  if (!flash_kept || progress.magic != DEMO_MAGIC) {
    progress.magic = DEMO_MAGIC;
    progress.phase = PHASE_FACTORY;
    progress.power_on = 0;
  }
  progress.power_on++;
  console_str("power-on " BOARD_NAME " layout=" LAYOUT_BOARD_NAME " count=");
  console_u32(progress.power_on);
  console_str(flash_kept ? " flash=kept" : " flash=blank");
  console_end_line();

  agent_power_on();
  configure();
  switch (progress.phase) {
    case PHASE_FACTORY:
      provision_factory();
      reboot(PHASE_FIRST_BOOT);

    case PHASE_FIRST_BOOT:
      boot();
      update(demo_update_bundle, demo_update_bundle_len);
      reboot(PHASE_AFTER_UPDATE);

    case PHASE_AFTER_UPDATE:
      boot();
      print_status();
      step("confirm", (int32_t)Z_agentZ_confirm(&agent));
      print_boot_info();
      update(demo_bad_signature_bundle, demo_bad_signature_bundle_len);
      reboot(PHASE_AFTER_REJECT);

    case PHASE_AFTER_REJECT:
      boot();
      print_status();
      print_resources();
      agent_power_off();
      console_str("demo done");
      console_end_line();
      return 0;
  }
  fatal("demo", "unknown phase in .noinit: RAM corrupted across reset");
}
