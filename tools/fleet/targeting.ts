// Whether a device belongs to a rollout's target set, and which started wave may take it.
import type { DeviceManifest, Rollout, Wave } from "./model.js";
import { matchesVersionQuery, parseVersionQuery } from "./version-query.js";

/**
 * The rules every answer obeys, whatever the rollout says: the device's product, hardware the
 * release is for, and a release newer than what the device runs (never older, never the same).
 */
export function releaseFits(rollout: Rollout, device: DeviceManifest): boolean {
  return device.product === rollout.product
    && (rollout.releaseHardwareId === null || rollout.releaseHardwareId === device.hardwareId)
    && rollout.targetsVersion > device.targetsVersion;
}

export function inTargetSet(rollout: Rollout, device: DeviceManifest & { groups: string[] }): boolean {
  const t = rollout.target;
  if (!releaseFits(rollout, device)) return false;
  if (t.hardwareId !== undefined && t.hardwareId !== device.hardwareId) return false;
  if (t.groups !== undefined && !t.groups.some((g) => device.groups.includes(g))) return false;
  if (t.versions !== undefined && !matchesVersionQuery(parseVersionQuery(t.versions), device.targetsVersion)) return false;
  return true;
}

export function waveTakes(wave: Wave, groups: string[]): boolean {
  return wave.groups === null || wave.groups.some((g) => groups.includes(g));
}
