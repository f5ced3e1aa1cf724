// A build's software bill of materials: the components (libraries, RTOS, crypto) compiled into the
// firmware, as the firmware build or the product's description lists them. Two JSON formats are
// read: CycloneDX 1.4-1.6 (`components`, nested `components` too) and SPDX 2.3 (`packages`, the
// purl in `externalRefs`). Only what the release system's dependency rules need is checked and
// kept (name, version, purl); a document that does not have that shape is refused with the JSON
// path of the problem, so a broken SBOM never reaches the artifact store as if it listed nothing.
import { Ajv, type ErrorObject } from "ajv";
import { InputError } from "../format/index.js";

/** Largest SBOM a build reads: a firmware's component list is kilobytes; this is far above it. */
export const MAX_SBOM_BYTES = 16 << 20;

export type SbomFormat = "cyclonedx" | "spdx";

/** The media types SLSA's ResourceDescriptor names an SBOM by. */
export const SBOM_MEDIA_TYPES: Record<SbomFormat, string> = {
  cyclonedx: "application/vnd.cyclonedx+json",
  spdx: "application/spdx+json",
};

export interface SbomComponent {
  name: string;
  /** As the SBOM gives it (absent, or SPDX's NOASSERTION, is kept as undefined). */
  version?: string;
  purl?: string;
  /** Where in the document it is listed (a JSON pointer), for messages. */
  at: string;
}

export interface Sbom {
  format: SbomFormat;
  specVersion: string;
  components: SbomComponent[];
}

// Nested components are CycloneDX's assemblies (a vendor SDK carrying its own libraries).
const cyclonedxSchema = {
  type: "object",
  required: ["bomFormat", "specVersion"],
  properties: {
    bomFormat: { const: "CycloneDX" },
    specVersion: { enum: ["1.4", "1.5", "1.6"] },
    components: { type: "array", items: { $ref: "#/definitions/component" } },
  },
  definitions: {
    component: {
      type: "object",
      required: ["type", "name"],
      properties: {
        type: { type: "string", minLength: 1 },
        name: { type: "string", minLength: 1 },
        version: { type: "string", minLength: 1 },
        purl: { type: "string", pattern: "^pkg:" },
        components: { type: "array", items: { $ref: "#/definitions/component" } },
      },
    },
  },
} as const;

const spdxSchema = {
  type: "object",
  required: ["spdxVersion", "SPDXID", "name", "documentNamespace", "creationInfo"],
  properties: {
    spdxVersion: { const: "SPDX-2.3" },
    SPDXID: { const: "SPDXRef-DOCUMENT" },
    name: { type: "string" },
    documentNamespace: { type: "string", minLength: 1 },
    creationInfo: { type: "object", required: ["created", "creators"] },
    packages: {
      type: "array",
      items: {
        type: "object",
        required: ["SPDXID", "name", "downloadLocation"],
        properties: {
          SPDXID: { type: "string", pattern: "^SPDXRef-[A-Za-z0-9.-]+$" },
          name: { type: "string", minLength: 1 },
          versionInfo: { type: "string", minLength: 1 },
          downloadLocation: { type: "string" },
          externalRefs: {
            type: "array",
            items: {
              type: "object",
              required: ["referenceCategory", "referenceType", "referenceLocator"],
              properties: {
                referenceCategory: { type: "string" },
                referenceType: { type: "string" },
                referenceLocator: { type: "string", minLength: 1 },
              },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true });
const validateCyclonedx = ajv.compile(cyclonedxSchema);
const validateSpdx = ajv.compile(spdxSchema);

function describe(e: ErrorObject): string {
  const at = e.instancePath || "(top level)";
  if (e.keyword === "required") return `${at}: missing field "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === "enum") return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  if (e.keyword === "const") return `${at}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  return `${at}: ${e.message}`;
}

interface CyclonedxComponent {
  name: string;
  version?: string;
  purl?: string;
  components?: CyclonedxComponent[];
}

function cyclonedxComponents(list: CyclonedxComponent[] | undefined, at: string): SbomComponent[] {
  return (list ?? []).flatMap((c, i) => [
    { name: c.name, version: c.version, purl: c.purl, at: `${at}/${i}` },
    ...cyclonedxComponents(c.components, `${at}/${i}/components`),
  ]);
}

interface SpdxPackage {
  name: string;
  versionInfo?: string;
  externalRefs?: Array<{ referenceCategory: string; referenceType: string; referenceLocator: string }>;
}

function spdxComponents(packages: SpdxPackage[] | undefined, what: string): SbomComponent[] {
  return (packages ?? []).map((p, i) => {
    const purls = (p.externalRefs ?? []).filter((r) => r.referenceType === "purl").map((r) => r.referenceLocator);
    // Two purls for one package would let a rule match one and miss the other.
    if (purls.length > 1) throw new InputError(`${what} is not a usable SPDX 2.3 SBOM: /packages/${i}: ${purls.length} purl references, a package has at most one`);
    if (purls[0] !== undefined && !purls[0].startsWith("pkg:")) throw new InputError(`${what} is not a usable SPDX 2.3 SBOM: /packages/${i}/externalRefs: purl "${purls[0]}" does not start with "pkg:"`);
    const version = p.versionInfo === "NOASSERTION" || p.versionInfo === "NONE" ? undefined : p.versionInfo;
    return { name: p.name, version, purl: purls[0], at: `/packages/${i}` };
  });
}

/** Parses a CycloneDX or SPDX JSON SBOM; InputError naming `what` and the path of every problem. */
export function parseSbom(bytes: Uint8Array, what: string): Sbom {
  if (bytes.length > MAX_SBOM_BYTES) throw new InputError(`${what} is ${bytes.length} bytes, above the ${MAX_SBOM_BYTES}-byte limit for an SBOM`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new InputError(`${what} is not JSON: ${(err as Error).message}; an SBOM is CycloneDX or SPDX JSON`);
  }
  const document = (typeof value === "object" && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if ("bomFormat" in document) {
    if (!validateCyclonedx(document)) throw new InputError(`${what} is not a usable CycloneDX SBOM: ${[...new Set((validateCyclonedx.errors ?? []).map(describe))].join("; ")}`);
    return { format: "cyclonedx", specVersion: String(document.specVersion), components: cyclonedxComponents(document.components as CyclonedxComponent[] | undefined, "/components") };
  }
  if ("spdxVersion" in document) {
    if (!validateSpdx(document)) throw new InputError(`${what} is not a usable SPDX 2.3 SBOM: ${[...new Set((validateSpdx.errors ?? []).map(describe))].join("; ")}`);
    return { format: "spdx", specVersion: String(document.spdxVersion), components: spdxComponents(document.packages as SpdxPackage[] | undefined, what) };
  }
  throw new InputError(`${what} is neither a CycloneDX SBOM (no "bomFormat") nor an SPDX one (no "spdxVersion"): export CycloneDX 1.4-1.6 or SPDX 2.3 JSON`);
}
