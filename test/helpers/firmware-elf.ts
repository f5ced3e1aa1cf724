// A small bare-metal firmware built with arm-none-eabi-gcc for the build-system tests: code and
// read-only data at 0x08004000 in flash, .data in RAM loaded from flash. The toolchain is a
// requirement of the suite (as for the board tests), never a reason to skip.
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const FIRMWARE_FLASH_ORIGIN = 0x08004000;

export const FIRMWARE_C = `
const volatile int airlock_log_level = LOG_LEVEL;
int counter = 7;
int zeroed;
const char banner[] = BANNER;
void debug_shell_start(void) { counter += banner[0] + zeroed; }
void airlock_confirm_hook(void) { counter++; }
void reset_handler(void) { if (counter > 100) debug_shell_start(); airlock_confirm_hook(); for (;;) {} }
__attribute__((section(".vectors"), used)) const void *const vectors[2] = { (void *)0x20010000, (void *)reset_handler };
`;

export const FIRMWARE_LINKER_SCRIPT = `
MEMORY { FLASH (rx) : ORIGIN = ${FIRMWARE_FLASH_ORIGIN}, LENGTH = 256K  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH
  .data : { *(.data*) } > RAM AT> FLASH
  .bss : { *(.bss*) *(COMMON) } > RAM
}
`;

export function requireArmToolchain(): void {
  if (spawnSync("arm-none-eabi-gcc", ["--version"]).status !== 0) {
    throw new Error("arm-none-eabi-gcc is not installed: apt-get install gcc-arm-none-eabi binutils-arm-none-eabi (as .ci/run does)");
  }
}

/** Builds the firmware into dir/name.elf; returns its path. */
export function buildFirmwareElf(dir: string, name: string, options: { logLevel?: number; banner?: string; omitDebugShell?: boolean } = {}): string {
  requireArmToolchain();
  let source = FIRMWARE_C;
  if (options.omitDebugShell) {
    source = source.replace("void debug_shell_start(void) { counter += banner[0] + zeroed; }", "").replace("if (counter > 100) debug_shell_start(); ", "counter += banner[0] + zeroed; ");
  }
  writeFileSync(join(dir, `${name}.c`), source);
  writeFileSync(join(dir, `${name}.ld`), FIRMWARE_LINKER_SCRIPT);
  const elf = join(dir, `${name}.elf`);
  execFileSync("arm-none-eabi-gcc", [
    "-mcpu=cortex-m3", "-mthumb", "-Os", "-nostdlib", "-nostartfiles",
    `-DLOG_LEVEL=${options.logLevel ?? 2}`, `-DBANNER="${options.banner ?? "release build"}"`,
    "-T", join(dir, `${name}.ld`), "-e", "reset_handler", "-o", elf, join(dir, `${name}.c`),
  ]);
  return elf;
}
