// Shared by the firmware programs (update-demo, link-device): see device-common.c.
#ifndef AIRLOCK_DEVICE_COMMON_H
#define AIRLOCK_DEVICE_COMMON_H

#include <stdint.h>

#include "agent.h"

/** Prints "step NAME result=CODE" and returns the code. */
int32_t step(const char *name, int32_t result);
/** A little-endian word of the I/O window. */
uint32_t io_u32(uint32_t offset);
/** "status update ..." from update_status. */
void print_status(void);
/** SHA-256 of len bytes of flash at addr, through the agent's hash export. */
void hash_flash(uint32_t addr, uint32_t len, uint8_t digest[32]);
/** "boot info ...", then for each target "image NAME ..." and "flash NAME sha256=" hashed from the running slot. */
void print_boot_info(void);
/** "user-manifest length=N sha256=..." of the running user manifest, or "user-manifest absent". */
void print_user_manifest(void);
/** configure() with the board's layout descriptor. */
void configure(void);
/** Streams len bytes through the I/O window, one window per call; stops at the first error. */
int32_t send_windows(const uint8_t *bytes, uint32_t len, u32 (*send)(uint32_t offset, uint32_t n));
/** SimDevice.provision(): each factory image into slot A, then the root and factory manifest. */
void provision_factory(void);

#endif
