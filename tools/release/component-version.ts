// Component versions as SBOMs give them, read as semver so the dependency rules can compare them.
// Firmware components rarely follow semver exactly ("2.28", "v1.2.3-rc1", "V10.4.3-LTS-Patch-2",
// "1.1.1w", "STABLE-2_1_3_RELEASE"), and a wrong reading is worse than none: read "1.2.3.4" as
// 1.2.3, or "10.4.3-LTS-Patch-2" as a pre-release of 10.4.3, and a rule passes or refuses the wrong
// build. So a version is read only when its meaning is plain: up to three numbers (missing ones
// are 0), an optional leading v, and an optional pre-release tag that is one of the common words
// (alpha, beta, rc, pre, preview, dev, snapshot) with an optional number. Anything else cannot
// be compared, and says why.
import semver, { type SemVer } from "semver";

export type ReadVersion =
  | { comparable: true; version: SemVer; /** Set when the text was not already strict semver. */ readAs?: string }
  | { comparable: false; reason: string };

const SHAPE = /^[vV]?(\d{1,15})(?:\.(\d{1,15}))?(?:\.(\d{1,15}))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const PRE_RELEASE = /^(alpha|beta|rc|pre|preview|dev|snapshot)[.-]?(\d{1,15})?$/i;

export function readVersion(text: string): ReadVersion {
  const match = SHAPE.exec(text.trim());
  if (!match) {
    return { comparable: false, reason: `"${text}" is not a version of up to three numbers (such as 2.28 or 1.2.11), so it cannot be compared` };
  }
  const [, major, minor = "0", patch = "0", tag] = match;
  let preRelease = "";
  if (tag !== undefined) {
    const word = PRE_RELEASE.exec(tag);
    if (!word) {
      return {
        comparable: false,
        reason: `"${text}" has the suffix "-${tag}", which is not a pre-release tag (alpha, beta, rc, pre, preview, dev, snapshot), so whether it is before or after ${Number(major)}.${Number(minor)}.${Number(patch)} is unknown`,
      };
    }
    // "rc10" is a word and a number: as one identifier semver would sort it before "rc2".
    preRelease = `-${word[1]!.toLowerCase()}${word[2] !== undefined ? `.${Number(word[2])}` : ""}`;
  }
  const normal = `${Number(major)}.${Number(minor)}.${Number(patch)}${preRelease}`;
  const version = semver.parse(normal);
  if (!version) return { comparable: false, reason: `"${text}" cannot be read as a version` };
  return normal === text ? { comparable: true, version } : { comparable: true, version, readAs: normal };
}

/** `version` for a message: as written, with the reading when it differs. */
export function shownVersion(text: string, read: ReadVersion): string {
  return read.comparable && read.readAs !== undefined ? `${text} (read as ${read.readAs})` : text;
}
