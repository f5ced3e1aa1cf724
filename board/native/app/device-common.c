// What every firmware program that runs the agent does the same way: print its answers in the
// lines the host tests read ("step", "status", "boot info", "image", "flash"), configure it with
// the board's layout, and provision it at the factory with the demo's root and image.
#include "device-common.h"

#include <string.h>

#include "agent-instance.h"
#include "airlock-status.h"
#include "console.h"
#include "fatal.h"
#include "fixtures.h"
#include "flash-driver.h"
#include "layout.h"


int32_t step(const char *name, int32_t result) {
  console_str("step ");
  console_str(name);
  console_str(" result=");
  console_i32(result);
  console_end_line();
  return result;
}

uint32_t io_u32(uint32_t offset) {
  uint32_t value;
  memcpy(&value, agent_io() + offset, sizeof value);
  return value;
}

void print_status(void) {
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
void hash_flash(uint32_t addr, uint32_t len, uint8_t digest[32]) {
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

void print_boot_info(void) {
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

void configure(void) {
  memcpy(agent_io(), layout_descriptor, layout_descriptor_len);
  step("configure", (int32_t)Z_agentZ_configure(&agent, layout_descriptor_len));
}

/** Streams len bytes through the I/O window, one window per call; stops at the first error. */
int32_t send_windows(const uint8_t *bytes, uint32_t len, u32 (*send)(uint32_t offset, uint32_t n)) {
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

/** SimDevice.provision(): the factory image into slot A, then the root and factory manifest. */
void provision_factory(void) {
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

