// The build description: one JSON file per product that `airlock build` (and, at signing time,
// the signer) reads: the product, its hardware, its board, each target's input (an ELF, converted
// to the slot image, or a raw binary), the targets version, the build type, and the validation
// rules a `user` build must pass, and optionally the firmware's SBOM. Checked with a JSON Schema (Ajv), so a typo is refused with the
// path of the offending field before anything is built.
import { Ajv, type ErrorObject } from "ajv";
import { InputError } from "../format/index.js";

export interface TargetInput {
  /** A linked firmware: its loadable segments become the slot image. */
  elf?: string;
  /** A raw image, used as is. */
  binary?: string;
  /** Where the image must be linked to run (an ELF's lowest load address must equal it). */
  loadAddress?: number;
}

export interface ValidationRules {
  /** Symbols (exact names, or a prefix ending in *) a `user` build must not contain. */
  forbiddenSymbols?: string[];
  /** Symbols every build must contain (e.g. the call that confirms the image). */
  requiredSymbols?: string[];
  /** Byte strings (UTF-8) a `user` build's image must not contain. */
  forbiddenStrings?: string[];
  /** A `user` build's log level, read from a symbol's initial value (int32 LE), at most `max`. */
  maxLogLevel?: { symbol: string; max: number };
}

export interface BuildDescription {
  product: string;
  hardwareId: string;
  /** A board name (board/<name>.json) or a path to a board file. */
  board: string;
  targetsVersion: number;
  buildType: "eng" | "user";
  /** ELF e_machine the targets must be built for: "arm" (40) or "riscv" (243). */
  machine: "arm" | "riscv";
  targets: Record<string, TargetInput>;
  rules: ValidationRules;
  /** The firmware's SBOM (CycloneDX or SPDX JSON), relative to the description like the targets. */
  sbom?: string;
}

/** A product or target name in a build description (and so in the release repository's indexes). */
export const PRODUCT_NAME = "^[a-z0-9][a-z0-9._-]{0,31}$";
const NAME = PRODUCT_NAME;
const schema = {
  type: "object",
  additionalProperties: false,
  required: ["product", "hardwareId", "board", "targetsVersion", "buildType", "targets"],
  properties: {
    $schema: { type: "string" },
    product: { type: "string", pattern: NAME },
    hardwareId: { type: "string", minLength: 1, maxLength: 32 },
    board: { type: "string", minLength: 1 },
    targetsVersion: { type: "integer", minimum: 1, maximum: 4294967295 },
    buildType: { enum: ["eng", "user"] },
    machine: { enum: ["arm", "riscv"], default: "arm" },
    sbom: { type: "string", minLength: 1 },
    targets: {
      type: "object",
      minProperties: 1,
      maxProperties: 4,
      propertyNames: { pattern: NAME },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          elf: { type: "string", minLength: 1 },
          binary: { type: "string", minLength: 1 },
          loadAddress: { type: "integer", minimum: 0, maximum: 4294967295 },
        },
        oneOf: [{ required: ["elf"] }, { required: ["binary"] }],
      },
    },
    rules: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        forbiddenSymbols: { type: "array", items: { type: "string", minLength: 1 } },
        requiredSymbols: { type: "array", items: { type: "string", minLength: 1 } },
        forbiddenStrings: { type: "array", items: { type: "string", minLength: 1 } },
        maxLogLevel: {
          type: "object",
          additionalProperties: false,
          required: ["symbol", "max"],
          properties: { symbol: { type: "string", minLength: 1 }, max: { type: "integer" } },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, useDefaults: true }).compile(schema);

function describe(e: ErrorObject): string {
  const at = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties") return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === "oneOf") return `${at}: give exactly one of "elf" or "binary"`;
  if (e.keyword === "enum") return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  return `${at}: ${e.message}`;
}

/** Parses and checks a description's JSON text; InputError listing every problem. */
export function parseDescription(text: string, what: string): BuildDescription {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (!validate(value)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== "required" || !e.instancePath.includes("/targets/")).map(describe);
    throw new InputError(`${what} is not a valid build description: ${[...new Set(problems)].join("; ")}`);
  }
  return value as unknown as BuildDescription;
}
