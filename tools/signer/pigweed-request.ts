// The signing request of Pigweed's remote_sign.py: the JSON object RemoteSignClient.sign() writes
// (json.dumps, so `{"remote_signing_key_names": [...], "bundle_path": ..., ...}`). Read strictly:
// exactly these five fields, each of its type, and every path one that stays inside its bucket.
// A request the service cannot read exactly is never guessed at; it goes to failed/ with the
// reason. (remote_sign.py's `request_overrides` can add fields; such a request is refused too,
// since the service would be ignoring something the builder asked for.)
import { InputError } from "../format/index.js";
import { objectNameSegments, requireBucketName } from "./bucket-paths.js";

/** A request file is one whose object name ends so: remote_sign.py refuses any other name. */
export const REQUEST_SUFFIX = "signing_request.json";
/** The JSON is a handful of short strings; anything near this is not a request. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** remote_sign.py sends one key name; a few more leave room for a service that signs with several. */
export const MAX_REQUEST_KEY_NAMES = 8;
export const MAX_KEY_NAME_LENGTH = 128;

export interface ParsedSigningRequest {
  keyNames: string[];
  /** Object names in the queue (the input bucket), as segments already checked to stay inside it. */
  bundlePath: string[];
  builderPublicKeyPath: string[];
  output: { bucket: string; path: string[] };
}

const FIELDS = ["remote_signing_key_names", "bundle_path", "bundle_public_key_path", "output_bucket", "output_path"] as const;

/**
 * Parses a request's exact bytes. Throws InputError when it is not the request remote_sign.py
 * writes (not UTF-8 JSON, a field missing, unknown or of the wrong type) and RejectedError when a
 * path or bucket name would leave its bucket.
 */
export function parseSigningRequest(bytes: Uint8Array, what: string): ParsedSigningRequest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InputError(`${what} is not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${what} is not a JSON object; remote_sign.py writes {"remote_signing_key_names": [...], "bundle_path": ..., ...}`);
  }
  const request = value as Record<string, unknown>;
  const unknown = Object.keys(request).filter((field) => !(FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) throw new InputError(`${what} has fields the signer does not know: ${unknown.join(", ")} (it reads exactly ${FIELDS.join(", ")})`);
  const missing = FIELDS.filter((field) => !(field in request));
  if (missing.length > 0) throw new InputError(`${what} lacks ${missing.join(", ")}`);

  const keyNames = request.remote_signing_key_names;
  if (!Array.isArray(keyNames) || keyNames.length === 0 || keyNames.length > MAX_REQUEST_KEY_NAMES) {
    throw new InputError(`${what}: remote_signing_key_names must be a list of 1 to ${MAX_REQUEST_KEY_NAMES} key names`);
  }
  for (const name of keyNames) {
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_KEY_NAME_LENGTH) {
      throw new InputError(`${what}: every remote_signing_key_names entry must be a key name of 1 to ${MAX_KEY_NAME_LENGTH} characters, not ${JSON.stringify(name)}`);
    }
  }
  if (new Set(keyNames).size !== keyNames.length) throw new InputError(`${what}: remote_signing_key_names lists a key twice`);
  const text = (field: (typeof FIELDS)[number]): string => {
    const v = request[field];
    if (typeof v !== "string") throw new InputError(`${what}: ${field} must be a string, not ${JSON.stringify(v)}`);
    return v;
  };
  const paths = { bundle: text("bundle_path"), key: text("bundle_public_key_path"), bucket: text("output_bucket"), output: text("output_path") };
  return {
    keyNames: keyNames as string[],
    bundlePath: objectNameSegments(paths.bundle, `${what}: bundle_path`),
    builderPublicKeyPath: objectNameSegments(paths.key, `${what}: bundle_public_key_path`),
    output: { bucket: requireBucketName(paths.bucket, `${what}: output_bucket`), path: objectNameSegments(paths.output, `${what}: output_path`) },
  };
}

/**
 * The name remote_sign.py gives the builder's public key for a request: the request's name
 * without ".json", then ".publickey.pem" (its docstring says ".public_key.pem"; the code, which
 * is what builds run, writes ".publickey.pem").
 */
export function conventionalPublicKeyName(requestName: string): string {
  return `${requestName.slice(0, -".json".length)}.publickey.pem`;
}
