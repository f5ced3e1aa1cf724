// The signing service's policy file (YAML): where its state lives, its keys and their class
// (test, production, root), the builders whose provenance it trusts, the qualifiers whose records
// production signing may require, the identities and their roles, the products, and the grants
// (which identities may request which keys, for which products and build types). It is checked
// whole at start, by schema and then by meaning (a grant naming a key that does not exist, a
// production key granted to eng builds, more approvals required than there are approvers); a
// wrong policy refuses to start with the line and the reason, never with a half-applied policy.
import { Ajv, type ErrorObject } from "ajv";
import { dirname, isAbsolute, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { InputError, readInput, yamlLineOf } from "../format/index.js";

export type KeyClass = "test" | "production" | "root";
export type Role = "requester" | "approver";
export type BuildType = "eng" | "user";

export interface Pkcs11KeyConfig {
  module: string;
  token: string;
  label: string;
  id?: string;
  pinFile?: string;
  pinEnv?: string;
}

export interface KeyConfig {
  class: KeyClass;
  /** PKCS#8 PEM: development keys only. */
  file?: string;
  pkcs11?: Pkcs11KeyConfig;
}

export interface Grant {
  identities: string[];
  keys: string[];
  products: string[];
  buildTypes: BuildType[];
  /** Test keys: also require builder provenance (production keys always do). */
  requireProvenance?: boolean;
}

export interface Policy {
  /** The policy file itself, for messages. */
  path: string;
  service: {
    listen: { host: string; port: number };
    state: string;
    audit: string;
    tokens: string;
    store?: string;
    maxBodyBytes: number;
    maxRequestLifetimeSeconds: number;
    approvalWindowSeconds: number;
  };
  keys: Record<string, KeyConfig>;
  builders: Record<string, { id: string; publicKey: string }>;
  qualifiers: Record<string, { publicKey: string }>;
  identities: Record<string, { roles: Role[] }>;
  products: Record<string, { hardwareId?: string }>;
  grants: Grant[];
  production: { approvals: number; qualification: string[] };
  root: { approvals: number };
}

const NAME = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" } as const;
const names = { type: "array", minItems: 1, uniqueItems: true, items: NAME } as const;
const schema = {
  type: "object",
  additionalProperties: false,
  required: ["service", "keys", "identities", "products", "grants"],
  properties: {
    service: {
      type: "object",
      additionalProperties: false,
      required: ["state", "audit", "tokens"],
      properties: {
        listen: { type: "string", pattern: "^[^:]+:\\d{1,5}$", default: "127.0.0.1:8390" },
        state: { type: "string", minLength: 1 },
        audit: { type: "string", minLength: 1 },
        tokens: { type: "string", minLength: 1 },
        store: { type: "string", minLength: 1 },
        maxBodyBytes: { type: "integer", minimum: 1024, maximum: 268435456, default: 16777216 },
        maxRequestLifetimeSeconds: { type: "integer", minimum: 1, maximum: 86400, default: 900 },
        approvalWindowSeconds: { type: "integer", minimum: 60, maximum: 2592000, default: 86400 },
      },
    },
    keys: {
      type: "object",
      minProperties: 1,
      propertyNames: NAME,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["class"],
        properties: {
          class: { enum: ["test", "production", "root"] },
          file: { type: "string", minLength: 1 },
          pkcs11: {
            type: "object",
            additionalProperties: false,
            required: ["module", "token", "label"],
            properties: {
              module: { type: "string", minLength: 1 },
              token: { type: "string", minLength: 1 },
              label: { type: "string", minLength: 1 },
              id: { type: "string", pattern: "^[0-9a-fA-F]+$" },
              pinFile: { type: "string", minLength: 1 },
              pinEnv: { type: "string", pattern: "^[A-Z_][A-Z0-9_]*$" },
            },
          },
        },
      },
    },
    builders: {
      type: "object",
      default: {},
      propertyNames: NAME,
      additionalProperties: { type: "object", additionalProperties: false, required: ["id", "publicKey"], properties: { id: { type: "string", minLength: 1 }, publicKey: { type: "string", minLength: 1 } } },
    },
    qualifiers: {
      type: "object",
      default: {},
      propertyNames: NAME,
      additionalProperties: { type: "object", additionalProperties: false, required: ["publicKey"], properties: { publicKey: { type: "string", minLength: 1 } } },
    },
    identities: {
      type: "object",
      minProperties: 1,
      propertyNames: NAME,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["roles"],
        properties: { roles: { type: "array", minItems: 1, uniqueItems: true, items: { enum: ["requester", "approver"] } } },
      },
    },
    products: {
      type: "object",
      minProperties: 1,
      propertyNames: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,31}$" },
      // No hardwareId: the product's bundles name no hardware (as Pigweed's tools make them).
      additionalProperties: { type: "object", additionalProperties: false, properties: { hardwareId: { type: "string", minLength: 1, maxLength: 32 } } },
    },
    grants: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["identities", "keys", "products", "buildTypes"],
        properties: {
          identities: names,
          keys: names,
          products: names,
          buildTypes: { type: "array", minItems: 1, uniqueItems: true, items: { enum: ["eng", "user"] } },
          requireProvenance: { type: "boolean" },
        },
      },
    },
    production: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        approvals: { type: "integer", minimum: 0, maximum: 16, default: 0 },
        qualification: { type: "array", uniqueItems: true, items: NAME, default: [] },
      },
    },
    root: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: { approvals: { type: "integer", minimum: 1, maximum: 16, default: 2 } },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, useDefaults: true }).compile(schema);

/** A policy problem at a line of the file. */
export class PolicyError extends InputError {}

function problemOf(e: ErrorObject): { key?: string; reason: string } {
  const at = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties") {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return { key, reason: `unknown field "${key}" in ${at}` };
  }
  if (e.keyword === "enum") return { reason: `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}` };
  if (e.keyword === "required") return { reason: `${at}: missing field "${(e.params as { missingProperty: string }).missingProperty}"` };
  return { reason: `${at}: ${e.message}` };
}

/** Parses, checks and resolves a policy file; PolicyError naming the line and the reason. */
export function loadPolicy(path: string): Policy {
  const text = Buffer.from(readInput(path, "signer policy")).toString("utf8");
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const fail = (line: number, reason: string): never => {
    throw new PolicyError(`${path} line ${line}: ${reason}; the signer does not start with a wrong policy`);
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    fail(counter.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const value: unknown = doc.toJS();
  if (!validate(value)) {
    const e = (validate.errors ?? [])[0]!;
    const { key, reason } = problemOf(e);
    fail(yamlLineOf(doc, counter, e.instancePath, key), reason);
  }
  const raw = value as Omit<Policy, "path" | "service"> & { service: Omit<Policy["service"], "listen"> & { listen: string } };
  const at = (pointer: string, key?: string) => yamlLineOf(doc, counter, pointer, key);
  const base = dirname(resolve(path));
  const file = (p: string) => (isAbsolute(p) ? p : resolve(base, p));

  // Meaning: every name a grant uses exists, and no grant lets a key sign what its class forbids.
  for (const [name, key] of Object.entries(raw.keys)) {
    if ((key.file === undefined) === (key.pkcs11 === undefined)) fail(at(`/keys/${name}`), `key "${name}" needs exactly one of "file" (PKCS#8 PEM) or "pkcs11"`);
    if (key.class !== "test" && key.file !== undefined) fail(at(`/keys/${name}`, "file"), `key "${name}" is a ${key.class} key in a file: ${key.class} keys live in an HSM ("pkcs11"); files are for test keys`);
    if (key.pkcs11 && (key.pkcs11.pinFile === undefined) === (key.pkcs11.pinEnv === undefined)) fail(at(`/keys/${name}/pkcs11`), `key "${name}": give the token PIN as exactly one of "pinFile" or "pinEnv"`);
  }
  raw.grants.forEach((grant, i) => {
    for (const identity of grant.identities) {
      if (!raw.identities[identity]) fail(at(`/grants/${i}/identities`), `grant ${i + 1} names identity "${identity}", which is not under identities`);
      else if (!raw.identities[identity].roles.includes("requester")) fail(at(`/grants/${i}/identities`), `grant ${i + 1} names identity "${identity}", which lacks the requester role`);
    }
    for (const product of grant.products) if (!raw.products[product]) fail(at(`/grants/${i}/products`), `grant ${i + 1} names product "${product}", which is not under products`);
    for (const keyName of grant.keys) {
      const key = raw.keys[keyName];
      if (!key) fail(at(`/grants/${i}/keys`), `grant ${i + 1} names key "${keyName}", which is not under keys`);
      else if (key.class === "root") fail(at(`/grants/${i}/keys`), `grant ${i + 1} grants root key "${keyName}": root keys sign only through M-of-N approvals (the root section), never by grant`);
      else if (key.class === "production" && grant.buildTypes.includes("eng")) fail(at(`/grants/${i}/buildTypes`), `grant ${i + 1} lets production key "${keyName}" sign eng builds: production keys sign only user builds`);
    }
  });
  const approvers = Object.entries(raw.identities).filter(([, v]) => v.roles.includes("approver")).length;
  if (raw.production.approvals > approvers) fail(at("/production", "approvals"), `production signing needs ${raw.production.approvals} approvals but the policy has ${approvers} approver(s)`);
  const hasRootKey = Object.values(raw.keys).some((k) => k.class === "root");
  if (hasRootKey && raw.root.approvals > approvers) fail(at("/root", "approvals"), `root signing needs ${raw.root.approvals} approvals but the policy has ${approvers} approver(s)`);
  if (raw.production.qualification.length && !Object.keys(raw.qualifiers).length) fail(at("/production", "qualification"), "production signing requires qualification records but no qualifiers are listed to sign them");
  const grantsProduction = raw.grants.some((g) => g.keys.some((k) => raw.keys[k]?.class === "production"));
  if (grantsProduction && !Object.keys(raw.builders).length) fail(at("/grants"), "a grant uses a production key but no builders are listed: production keys sign only builds with provenance from a listed builder");

  const [host, port] = [raw.service.listen.slice(0, raw.service.listen.lastIndexOf(":")), Number(raw.service.listen.slice(raw.service.listen.lastIndexOf(":") + 1))];
  if (port > 65535) fail(at("/service", "listen"), `port ${port} is above 65535`);
  const keys = Object.fromEntries(
    Object.entries(raw.keys).map(([name, k]) => [
      name,
      { ...k, file: k.file && file(k.file), pkcs11: k.pkcs11 && { ...k.pkcs11, module: k.pkcs11.module, pinFile: k.pkcs11.pinFile && file(k.pkcs11.pinFile) } },
    ]),
  );
  return {
    ...raw,
    path,
    service: { ...raw.service, listen: { host, port }, state: file(raw.service.state), audit: file(raw.service.audit), tokens: file(raw.service.tokens), store: raw.service.store && file(raw.service.store) },
    keys,
    builders: Object.fromEntries(Object.entries(raw.builders).map(([n, b]) => [n, { ...b, publicKey: file(b.publicKey) }])),
    qualifiers: Object.fromEntries(Object.entries(raw.qualifiers).map(([n, q]) => [n, { publicKey: file(q.publicKey) }])),
  };
}

/** The grant that lets `identity` use `key` for this product and build type, if any. */
export function grantFor(policy: Policy, identity: string, key: string, product: string, buildType: BuildType): Grant | undefined {
  return policy.grants.find((g) => g.identities.includes(identity) && g.keys.includes(key) && g.products.includes(product) && g.buildTypes.includes(buildType));
}
