// Checking a build's components against the dependency rules. Every finding refuses promotion:
// a component below its minimum, a denied one, and one a rule names whose version is absent or
// cannot be compared (a version nobody can order is never taken to pass).
import { PackageURL } from "packageurl-js";
import semver from "semver";
import type { SbomComponent } from "../build/index.js";
import { readVersion, shownVersion } from "./component-version.js";
import { componentSelector, type ComponentSelector, type DependencyRules } from "./dependency-rules.js";

export type DependencyFindingKind = "below-minimum" | "denied" | "unknown-version" | "no-sbom" | "no-build";

export interface DependencyFinding {
  kind: DependencyFindingKind;
  /** The component as the SBOM names it (absent for no-sbom and no-build). */
  component?: string;
  version?: string;
  purl?: string;
  /** Where the SBOM lists it (a JSON pointer). */
  at?: string;
  /** The rule, in words: "minimum mbedtls 2.28.8", "deny zlib <1.2.12". */
  rule: string;
  /** One sentence: what is wrong and what to do. */
  message: string;
}

function matches(selector: ComponentSelector, component: SbomComponent): boolean {
  if ("name" in selector) return selector.name.toLowerCase() === component.name.toLowerCase();
  if (component.purl === undefined) return false;
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(component.purl);
  } catch {
    return false; // reported by unreadablePurls, never silently matched or unmatched
  }
  return purl.type === selector.purl.type && (purl.namespace ?? "") === (selector.purl.namespace ?? "") && purl.name === selector.purl.name;
}

/** Components whose purl a purl rule could not read: such a rule cannot say it does not apply. */
function unreadablePurls(components: SbomComponent[], rules: DependencyRules): DependencyFinding[] {
  const purlRules = [...Object.keys(rules.minimum ?? {}), ...(rules.deny ?? []).map((d) => d.component)].filter((c) => c.startsWith("pkg:"));
  if (!purlRules.length) return [];
  return components.flatMap((c) => {
    if (c.purl === undefined) return [];
    try {
      PackageURL.fromString(c.purl);
      return [];
    } catch (err) {
      return [{
        kind: "unknown-version" as const, component: c.name, version: c.version, purl: c.purl, at: c.at, rule: `purl rules (${purlRules.join(", ")})`,
        message: `${c.name} at ${c.at} has purl "${c.purl}", which cannot be read (${(err as Error).message}), so the purl rules cannot tell whether it is one of theirs; fix the SBOM`,
      }];
    }
  });
}

const label = (c: SbomComponent) => `${c.name}${c.version !== undefined ? ` ${c.version}` : ""}`;

export function checkDependencies(components: SbomComponent[], rules: DependencyRules): DependencyFinding[] {
  const findings: DependencyFinding[] = unreadablePurls(components, rules);
  const base = (c: SbomComponent) => ({ component: c.name, version: c.version, ...(c.purl !== undefined ? { purl: c.purl } : {}), at: c.at });

  for (const [name, minimumText] of Object.entries(rules.minimum ?? {})) {
    const minimum = readVersion(minimumText);
    if (!minimum.comparable) throw new Error(`minimum ${name} ${minimumText}: ${minimum.reason} (rules are checked when loaded)`);
    const selector = componentSelector(name);
    const rule = `minimum ${name} ${minimumText}`;
    for (const c of components.filter((c) => matches(selector, c))) {
      if (c.version === undefined) {
        findings.push({ kind: "unknown-version", ...base(c), rule, message: `${c.name} at ${c.at} has no version in the SBOM, so it cannot be shown to be at least ${minimumText}; give its version in the SBOM` });
        continue;
      }
      const read = readVersion(c.version);
      if (!read.comparable) {
        findings.push({ kind: "unknown-version", ...base(c), rule, message: `${c.name}: ${read.reason} against the minimum ${minimumText}; give a plain version in the SBOM` });
      } else if (semver.lt(read.version, minimum.version)) {
        findings.push({ kind: "below-minimum", ...base(c), rule, message: `${c.name} ${shownVersion(c.version, read)} is below the minimum ${minimumText}; update it to ${minimumText} or later` });
      }
    }
  }

  for (const deny of rules.deny ?? []) {
    const selector = componentSelector(deny.component);
    const rule = `deny ${deny.component}${deny.versions !== undefined ? ` ${deny.versions}` : ""}`;
    for (const c of components.filter((c) => matches(selector, c))) {
      if (deny.versions === undefined) {
        findings.push({ kind: "denied", ...base(c), rule, message: `${label(c)} is denied: ${deny.reason}; remove it` });
        continue;
      }
      const read = c.version === undefined ? undefined : readVersion(c.version);
      if (read === undefined || !read.comparable) {
        const why = read === undefined ? "has no version in the SBOM" : read.reason;
        findings.push({ kind: "unknown-version", ...base(c), rule, message: `${c.name} ${why}, so it cannot be shown to be outside the denied versions ${deny.versions} (${deny.reason})` });
      } else if (semver.satisfies(read.version, deny.versions, { includePrerelease: true })) {
        findings.push({ kind: "denied", ...base(c), rule, message: `${c.name} ${shownVersion(c.version!, read)} is in the denied versions ${deny.versions}: ${deny.reason}; update it past them` });
      }
    }
  }
  return findings;
}

/** Whether any rule exists: without rules a build with no SBOM has nothing to answer for. */
export function hasDependencyRules(rules: DependencyRules): boolean {
  return Object.keys(rules.minimum ?? {}).length > 0 || (rules.deny ?? []).length > 0;
}
