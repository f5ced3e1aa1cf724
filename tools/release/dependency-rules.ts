// The release policy's dependency rules: which components a promoted build may carry.
//   dependencies:
//     minimum:
//       mbedtls: "2.28.8"                      # a component name, or a purl without a version
//       pkg:github/freertos/freertos-kernel: "10.5.1"
//     deny:
//       - component: zlib
//         versions: "<1.2.12"                  # a semver range; absent: every version
//         reason: CVE-2018-25032 (memory corruption when deflating)
// DEPENDENCY_RULES_SCHEMA is the JSON Schema of that value, for the per-product release config to
// embed under its `dependencies:` key; loadDependencyRules reads a YAML file holding the rules at
// the top level or under `dependencies:`, so the release config file itself can be given.
import { Ajv, type ErrorObject } from "ajv";
import { PackageURL } from "packageurl-js";
import semver from "semver";
import { LineCounter, parseDocument } from "yaml";
import { InputError, readInput, yamlLineOf } from "../format/index.js";
import { readVersion } from "./component-version.js";

export interface DenyRule {
  component: string;
  /** A semver range; absent: every version of the component is denied. */
  versions?: string;
  reason: string;
}

export interface DependencyRules {
  minimum?: Record<string, string>;
  deny?: DenyRule[];
}

export const DEPENDENCY_RULES_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    minimum: {
      type: "object",
      propertyNames: { minLength: 1 },
      additionalProperties: { type: "string", minLength: 1 },
    },
    deny: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["component", "reason"],
        properties: {
          component: { type: "string", minLength: 1 },
          versions: { type: "string", minLength: 1 },
          reason: { type: "string", minLength: 1 },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(DEPENDENCY_RULES_SCHEMA);

/** A rule's component: a purl (matched on type, namespace and name) or a name (matched without case). */
export type ComponentSelector = { purl: PackageURL } | { name: string };

/** Reads a rule's component; the message of an Error says why it is not usable. */
export function componentSelector(component: string): ComponentSelector {
  if (!component.startsWith("pkg:")) return { name: component };
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(component);
  } catch (err) {
    throw new Error(`"${component}" is not a purl: ${(err as Error).message}`);
  }
  if (purl.version) throw new Error(`purl "${component}" carries a version (@${purl.version}): a rule names the component, the versions go in the rule`);
  return { purl };
}

/**
 * Problems of meaning in rules that pass the schema: unreadable versions, ranges and purls, each
 * with its JSON pointer (the schema's checks come first, from Ajv).
 */
export function dependencyRuleProblems(rules: DependencyRules): Array<{ pointer: string; key?: string; reason: string }> {
  const problems: Array<{ pointer: string; key?: string; reason: string }> = [];
  for (const [component, version] of Object.entries(rules.minimum ?? {})) {
    const pointer = `/minimum/${component.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    try {
      componentSelector(component);
    } catch (err) {
      problems.push({ pointer: "/minimum", key: component, reason: `minimum: ${(err as Error).message}` });
    }
    const read = readVersion(version);
    if (!read.comparable) problems.push({ pointer, reason: `minimum version of ${component}: ${read.reason}` });
  }
  (rules.deny ?? []).forEach((rule, i) => {
    try {
      componentSelector(rule.component);
    } catch (err) {
      problems.push({ pointer: `/deny/${i}`, key: "component", reason: `deny entry ${i + 1}: ${(err as Error).message}` });
    }
    if (rule.versions !== undefined && semver.validRange(rule.versions) === null) {
      problems.push({ pointer: `/deny/${i}`, key: "versions", reason: `deny entry ${i + 1}: "${rule.versions}" is not a semver range (e.g. "<1.2.12" or ">=2.0.0 <2.28.8")` });
    }
  });
  return problems;
}

function schemaProblem(e: ErrorObject): { key?: string; reason: string } {
  const at = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties") {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return { key, reason: `unknown field "${key}" in ${at} (the rules are "minimum" and "deny")` };
  }
  if (e.keyword === "required") return { reason: `${at}: missing field "${(e.params as { missingProperty: string }).missingProperty}"` };
  if (e.keyword === "type" && (e.params as { type: string }).type === "string") {
    return { reason: `${at}: must be a string; quote versions ("2.10"), since YAML reads 2.10 as the number 2.1` };
  }
  return { reason: `${at}: ${e.message}` };
}

/** Reads a YAML file with the rules at the top level or under `dependencies:`; InputError naming the line. */
export function loadDependencyRules(path: string): DependencyRules {
  const text = Buffer.from(readInput(path, "dependency rules")).toString("utf8");
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const fail = (line: number, reason: string): never => {
    throw new InputError(`${path} line ${line}: ${reason}`);
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    fail(counter.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const whole: unknown = doc.toJS();
  if (typeof whole !== "object" || whole === null || Array.isArray(whole)) {
    fail(1, `not a mapping: the file holds "minimum" and "deny", at the top level or under "dependencies"`);
  }
  const nested = "dependencies" in (whole as object);
  const base = nested ? "/dependencies" : "";
  const rules: unknown = nested ? (whole as { dependencies: unknown }).dependencies ?? {} : whole;
  if (!validate(rules)) {
    const e = validate.errors![0]!;
    const { key, reason } = schemaProblem(e);
    fail(yamlLineOf(doc, counter, base + e.instancePath, key), reason);
  }
  const checked = rules as DependencyRules;
  const problem = dependencyRuleProblems(checked)[0];
  if (problem) fail(yamlLineOf(doc, counter, base + problem.pointer, problem.key), problem.reason);
  return checked;
}
