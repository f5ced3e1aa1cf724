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

// ---- printing ----

static int32_t step(const char *name, int32_t result) {
  console_str("step ");
  console_str(name);
  console_str(" result=");
  console_i32(result);
  console_end_line();
  return result;
}

static uint32_t io_u32(uint32_t offset) {
  uint32_t value;
  memcpy(&value, agent_io() + offset, sizeof value);
  return value;
}

static void print_status(void) {
  int32_t rc = (int32_t)Z_agentZ_update_status(&agent);
  if (rc != OK) {
    step("update-status", rc);
    return;
  }
  // Layout: assembly/update/service.ts, updateStatus.
  console_str("status update state=");
  console_u32(io_u32(0));
  console_str(" result=");
  console_u32(io_u32(4));
  console_str(" progress=");
  console_u32(io_u32(8));
  console_str(" received=");
  console_u32(io_u32(12));
  console_str(" last-error=");
  console_i32((int32_t)io_u32(16));
  console_str(" total=");
  console_u32(io_u32(20));
  console_end_line();
}

/** SHA-256 of len bytes of flash at addr, through the agent's hash export and the I/O window. */
static void hash_flash(uint32_t addr, uint32_t len, uint8_t digest[32]) {
  uint8_t *io = agent_io();
  uint32_t window = agent_io_len();
  Z_agentZ_sha256_init(&agent);
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < window ? len - done : window;
    if (flash_driver_read(addr + done, io, n) != OK) fatal("demo", "flash read of the running slot failed");
    if ((int32_t)Z_agentZ_sha256_update(&agent, n) != OK) fatal("demo", "sha256_update refused a window");
    done += n;
  }
  Z_agentZ_sha256_final(&agent);
  memcpy(digest, io, 32);
}

static void print_boot_info(void) {
  int32_t rc = (int32_t)Z_agentZ_boot_info(&agent);
  if (rc != OK) {
    step("boot-info", rc);
    return;
  }
  // Layout: assembly/boot/info.ts. The app entry is the first (and only) target.
  uint32_t slot = io_u32(0);
  console_str("boot info slot=");
  console_str(slot == 0 ? "a" : "b");
  console_str(" trial=");
  console_u32(io_u32(4));
  console_str(" root-version=");
  console_u32(io_u32(8));
  console_str(" targets-version=");
  console_u32(io_u32(12));
  console_str(" pending=");
  console_u32(io_u32(20));
  console_end_line();

  const uint32_t entry = 24 + LAYOUT_APP_TARGET * (32 + 40);
  uint32_t present = io_u32(entry + 32);
  uint32_t length = io_u32(entry + 36);
  uint8_t manifest_hash[32];
  memcpy(manifest_hash, agent_io() + entry + 40, 32);
  console_str("image app present=");
  console_u32(present);
  console_str(" length=");
  console_u32(length);
  console_str(" sha256=");
  console_hex(manifest_hash, 32);
  console_end_line();

  // What the slot really holds, hashed here from flash: the manifest must not just claim it.
  uint8_t slot_hash[32];
  hash_flash(slot == 0 ? LAYOUT_APP_SLOT_A : LAYOUT_APP_SLOT_B, length, slot_hash);
  console_str("flash app sha256=");
  console_hex(slot_hash, 32);
  console_end_line();
}

// ---- the steps (each mirrors a SimDevice method) ----

static void configure(void) {
  memcpy(agent_io(), layout_descriptor, layout_descriptor_len);
  step("configure", (int32_t)Z_agentZ_configure(&agent, layout_descriptor_len));
}

/** Streams len bytes through the I/O window, one window per call; stops at the first error. */
static int32_t send_windows(const uint8_t *bytes, uint32_t len, u32 (*send)(uint32_t offset, uint32_t n)) {
  uint32_t window = agent_io_len();
  for (uint32_t offset = 0; offset < len; offset += window) {
    uint32_t n = len - offset < window ? len - offset : window;
    memcpy(agent_io(), bytes + offset, n);
    int32_t rc = (int32_t)send(offset, n);
    if (rc < 0) return rc;
  }
  return OK;
}

static u32 send_factory_image(uint32_t offset, uint32_t n) {
  return Z_agentZ_provision_image(&agent, LAYOUT_APP_TARGET, offset, n);
}

static u32 send_bundle(uint32_t offset, uint32_t n) { return Z_agentZ_update_write(&agent, offset, n); }

/** SimDevice.provision(): the factory image into slot A, then the root and factory manifest. */
static void provision_factory(void) {
  step("provision-image", send_windows(demo_factory_image, demo_factory_image_len, send_factory_image));

  // Request layout: assembly/boot/provision.ts. Targets version 0 and no declared entries: the
  // manifest is hashed from what provision_image wrote.
  const uint32_t header = 12;
  uint8_t *io = agent_io();
  if (header + demo_root_len > agent_io_len()) fatal("demo", "root metadata larger than the I/O window");
  memset(io, 0, header);
  memcpy(io, &demo_root_len, 4);
  memcpy(io + header, demo_root, demo_root_len);
  step("provision", (int32_t)Z_agentZ_provision(&agent, header + demo_root_len));
}

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
