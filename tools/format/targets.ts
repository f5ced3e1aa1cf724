// Target names and the hardware ID: the bounds the device shares with the host tools.
import { MAX_HARDWARE_ID, MAX_TARGET_NAME, MAX_TARGETS } from "../../assembly/limits.js";
import { InputError } from "./errors.js";

/**
 * Pigweed's reserved target name: its payload is not an image to install but bytes the device
 * stores in its manifest (Manifest.user_manifest) when the bundle applies.
 */
export const USER_MANIFEST_TARGET = "user_manifest";

// Names travel into layout descriptors, file names and terminal output: keep them to a plain,
// unambiguous alphabet.
const TARGET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const HARDWARE_ID_PATTERN = /^[\x21-\x7e]+$/;

/** Checks one target name: non-empty, plain characters, at most MAX_TARGET_NAME bytes. */
export function requireTargetName(name: string): string {
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_TARGET_NAME) {
    throw new InputError(`target name "${name}" is ${bytes} bytes; the device allows at most ${MAX_TARGET_NAME} (MAX_TARGET_NAME), choose a shorter name`);
  }
  if (!TARGET_NAME_PATTERN.test(name)) {
    throw new InputError(`target name ${JSON.stringify(name)} is not allowed; use letters, digits and . _ / - (starting with a letter or digit)`);
  }
  return name;
}

/** Checks a bundle's list of target names: each valid, none twice, images within MAX_TARGETS. */
export function requireTargetNames(names: string[]): void {
  if (names.length === 0) throw new InputError("a bundle needs at least one target: give NAME=FILE (e.g. app=firmware.bin)");
  const seen = new Set<string>();
  for (const name of names) {
    requireTargetName(name);
    if (seen.has(name)) throw new InputError(`target "${name}" is given twice; each target name may appear once`);
    seen.add(name);
  }
  const images = names.filter((n) => n !== USER_MANIFEST_TARGET).length;
  if (images > MAX_TARGETS) {
    throw new InputError(`the bundle lists ${images} image targets; a device has at most ${MAX_TARGETS} (MAX_TARGETS), split the update`);
  }
}

/** Checks a hardware ID: 1..MAX_HARDWARE_ID bytes of printable ASCII without spaces. */
export function requireHardwareId(id: string): string {
  if (!HARDWARE_ID_PATTERN.test(id)) {
    throw new InputError(`hardware ID ${JSON.stringify(id)} must be printable ASCII without spaces (e.g. nrf52840-dk-rev2)`);
  }
  if (id.length > MAX_HARDWARE_ID) {
    throw new InputError(`hardware ID "${id}" is ${id.length} bytes; the device allows at most ${MAX_HARDWARE_ID} (MAX_HARDWARE_ID)`);
  }
  return id;
}

/** Splits a NAME=FILE argument. */
export function parseTargetArgument(argument: string): { name: string; file: string } {
  const at = argument.indexOf("=");
  if (at <= 0 || at === argument.length - 1) {
    throw new InputError(`"${argument}" is not NAME=FILE; give each target as its name, "=", and the image file (e.g. app=firmware.bin)`);
  }
  return { name: argument.slice(0, at), file: argument.slice(at + 1) };
}
