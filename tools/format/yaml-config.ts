// Configuration files in YAML checked by a JSON Schema (Ajv): the signer's policy, a product's
// release config. A problem is reported with the file's line and the reason, never as a
// half-applied config: parse, then schema, then the caller's checks of meaning, each failing with
// the line of the offending node.
import type { ErrorObject, ValidateFunction } from "ajv";
import { dirname, isAbsolute, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { InputError } from "./errors.js";
import { readInput } from "./files.js";
import { yamlLineOf } from "./yaml-lines.js";

/** A configuration problem at a line of the file. */
export class ConfigError extends InputError {}

export interface YamlConfig<T> {
  value: T;
  /** The line of the node at a JSON-pointer path (or of the key `key` inside it). */
  at(pointer: string, key?: string): number;
  /** Throws the config's error for this line. */
  fail(line: number, reason: string): never;
  /** A path in the file, resolved against the file's directory. */
  file(path: string): string;
}

/**
 * Reads `path` (`what` in messages), parses it and checks it against `validate` (which may fill
 * defaults). `consequence` ends every message: what refusing the file means, e.g. "the signer
 * does not start with a wrong policy".
 */
export function loadYamlConfig<T>(path: string, what: string, validate: ValidateFunction, consequence: string, errorClass: new (message: string) => ConfigError = ConfigError): YamlConfig<T> {
  const text = Buffer.from(readInput(path, what)).toString("utf8");
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const fail = (line: number, reason: string): never => {
    throw new errorClass(`${path} line ${line}: ${reason}; ${consequence}`);
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
  const base = dirname(resolve(path));
  return {
    value: value as T,
    at: (pointer, key) => yamlLineOf(doc, counter, pointer, key),
    fail,
    file: (p) => (isAbsolute(p) ? p : resolve(base, p)),
  };
}

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
