// What every firmware program that runs the agent does the same way: print its answers in the
// lines the host tests read ("step", "status", "boot info", "image", "flash", "user-manifest"),
// configure it with the board's layout, and provision it at the factory with the root and images
// of its fixtures.h.
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
  // Layout: assembly/boot/info.ts.
  uint32_t slot = io_u32(0);
  uint32_t targets = io_u32(16);
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
  if (targets != LAYOUT_TARGET_COUNT) fatal("demo", "boot info lists another number of targets than the layout");

  for (uint32_t t = 0; t < targets; t++) {
    // hash_flash below takes the I/O window, so each target's entry is fetched afresh.
    if ((int32_t)Z_agentZ_boot_info(&agent) != OK) fatal("demo", "boot_info failed on a second call");
    const uint32_t entry = 24 + t * (MAX_TARGET_NAME + 40);
    char name[MAX_TARGET_NAME + 1];
    memcpy(name, agent_io() + entry, MAX_TARGET_NAME);
    name[MAX_TARGET_NAME] = '\0';
    uint32_t present = io_u32(entry + MAX_TARGET_NAME);
    uint32_t length = io_u32(entry + MAX_TARGET_NAME + 4);
    uint8_t manifest_hash[32];
    memcpy(manifest_hash, agent_io() + entry + MAX_TARGET_NAME + 8, 32);
    console_str("image ");
    console_str(name);
    console_str(" present=");
    console_u32(present);
    console_str(" length=");
    console_u32(length);
    console_str(" sha256=");
    console_hex(manifest_hash, 32);
    console_end_line();
    if (!present) continue;

    // What the slot really holds, hashed here from flash: the manifest must not just claim it.
    uint8_t slot_hash[32];
    hash_flash(slot == 0 ? layout_targets[t].slot_a : layout_targets[t].slot_b, length, slot_hash);
    console_str("flash ");
    console_str(name);
    console_str(" sha256=");
    console_hex(slot_hash, 32);
    console_end_line();
  }
}

void print_user_manifest(void) {
  int32_t size = (int32_t)Z_agentZ_user_manifest_size(&agent);
  if (size == ERR_USER_MANIFEST_ABSENT) {
    console_str("user-manifest absent");
    console_end_line();
    return;
  }
  if (size < 0) {
    step("user-manifest-size", size);
    return;
  }
  // At most MAX_USER_MANIFEST_BYTES (1 KiB): one read puts it all in the 4 KiB window, where the
  // hash export then reads it. The bytes come from the metadata records, not from the manifest.
  int32_t n = (int32_t)Z_agentZ_user_manifest_read(&agent, 0, (u32)size);
  if (n != size) {
    step("user-manifest-read", n);
    return;
  }
  Z_agentZ_sha256_init(&agent);
  if ((int32_t)Z_agentZ_sha256_update(&agent, (u32)n) != OK) fatal("demo", "sha256_update refused the user manifest");
  Z_agentZ_sha256_final(&agent);
  console_str("user-manifest length=");
  console_u32((uint32_t)n);
  console_str(" sha256=");
  console_hex(agent_io(), 32);
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

/** The target whose factory image send_windows is streaming. */
static uint32_t factory_target;

static u32 send_factory_image(uint32_t offset, uint32_t n) {
  return Z_agentZ_provision_image(&agent, factory_target, offset, n);
}

/** SimDevice.provision(): each factory image into slot A, then the root and factory manifest. */
void provision_factory(void) {
  for (uint32_t i = 0; i < FACTORY_IMAGE_COUNT; i++) {
    factory_target = factory_images[i].target;
    step("provision-image", send_windows(factory_images[i].bytes, factory_images[i].len, send_factory_image));
  }

  // Request layout: assembly/boot/provision.ts. Targets version 0 and no declared entries: the
  // manifest is hashed from what provision_image wrote.
  const uint32_t header = 12;
  uint8_t *io = agent_io();
  if (header + factory_root_len > agent_io_len()) fatal("demo", "root metadata larger than the I/O window");
  memset(io, 0, header);
  memcpy(io, &factory_root_len, 4);
  memcpy(io + header, factory_root, factory_root_len);
  step("provision", (int32_t)Z_agentZ_provision(&agent, header + factory_root_len));
}
