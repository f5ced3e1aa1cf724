// What a device trusting a given root would refuse, for the inspect verbs' --root checks: one
// phrase per failed rule, empty when the device would accept.
import type { BundleReport, RootReport } from "../../format/index.js";

/** How many of the signatures its own root keys must make a root has ("1 of the 2 ..."). */
export function ownRootSignatures(root: RootReport): string {
  return `${root.validRootSignatures} of the ${root.root.threshold} signature(s) its own root keys must make`;
}

/** A root checked as a rotation from the trusted root (inspectRoot/inspectBundle with one). */
export function rootTrustFailures(root: RootReport): string[] {
  const failures: string[] = [];
  const rotation = root.rotation;
  if (rotation && !rotation.trustedThresholdMet) {
    failures.push(`${rotation.validTrustedSignatures} of the ${rotation.trustedThreshold} signature(s) the trusted root's keys must make`);
  }
  if (!root.rootThresholdMet) failures.push(ownRootSignatures(root));
  if (rotation && !rotation.versionAccepted) failures.push(`version ${root.version} is neither newer than the trusted root's ${rotation.trustedVersion} nor the same bytes`);
  return failures;
}

export function bundleTrustFailures(report: BundleReport): string[] {
  const failures = report.root ? rootTrustFailures(report.root).map((failure) => `its root: ${failure}`) : [];
  const targets = report.targets;
  if (targets.thresholdMet === false) {
    failures.push(`targets threshold not met (${targets.validSignatures ?? 0} valid of ${targets.threshold ?? 0} needed)`);
  }
  return failures;
}
