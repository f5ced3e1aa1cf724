// Turning a claimed request into what the service decides on: the objects it names are moved
// out of the queue into the job (so the build can upload the same names again, as
// remote_sign.py insists on fresh names, and nobody can swap them while the signer looks), then
// read, and both builder signatures checked against the builder key beside them. Only a request
// whose bundle and JSON the builder key provably signed reaches the service.
//
// The directory bucket keeps an object's custom metadata (remote_sign.py's `blob.metadata`,
// holding the builder signature) beside it as OBJECT.metadata.json. A bucket client writes the
// metadata first and each file whole (temporary name, then rename), so a request is complete the
// moment its JSON appears: remote_sign.py uploads the key, then the bundle, the request last.
import { join } from "node:path";
import { RejectedError } from "../format/index.js";
import { existingObjectPath, objectNameSegments } from "./bucket-paths.js";
import { readBounded } from "./durable-files.js";
import { parseBuilderPublicKey, parseSignatureMetadata, verifyBuilderSignature, type BuilderPublicKey } from "./pigweed-builder-key.js";
import { JOB_REQUEST_FILE, moveIntoJob, RESERVED_DIRS, type Job } from "./pigweed-jobs.js";
import { conventionalPublicKeyName, MAX_REQUEST_BYTES, parseSigningRequest, REQUEST_SUFFIX } from "./pigweed-request.js";

/** Suffix of the file holding an object's custom metadata in a directory bucket. */
export const METADATA_SUFFIX = ".metadata.json";
/** A PEM public key (even RSA-8192) is a few KiB. */
export const MAX_PUBLIC_KEY_BYTES = 16 * 1024;
/** `{"signature": BASE64}` of an RSA-8192 signature is under 1.5 KiB. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** Default bound on a queued bundle, read whole into memory to be checked and signed. */
export const DEFAULT_MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/** A request whose builder signatures verified: what the signing service decides on. */
export interface PigweedSigningRequest {
  /** The request's object name in the queue, as the build uploaded it. */
  requestPath: string;
  /** The job it is processed as (its directory under processing/, then processed/ or failed/). */
  job: string;
  /** remote_signing_key_names: the service's names of the keys to sign with. */
  keyNames: string[];
  /** The unsigned bundle, the exact bytes the builder signed. */
  bundle: Uint8Array;
  bundlePath: string;
  /** The key the builder signatures verified with; the service decides whether it is trusted. */
  builderPublicKey: BuilderPublicKey;
  builderPublicKeyPath: string;
  /** Where the signed bundle goes: bucket name and object name. */
  output: { bucket: string; path: string };
  /** The request JSON's exact bytes, as the builder signed them (for the audit log). */
  requestBytes: Uint8Array;
}

// Names of the moved objects inside the job directory.
const JOB_BUNDLE = "bundle";
const JOB_PUBLIC_KEY = "builder.publickey.pem";

function readOrRefuse(path: string, maxBytes: number, what: string, fix: string): Uint8Array {
  const read = readBounded(path, maxBytes);
  if (read.ok) return read.bytes;
  if (read.problem === "missing") throw new RejectedError(`${what} is missing; ${fix}`);
  if (read.problem === "too-large") throw new RejectedError(`${what} is ${read.size} bytes, more than the ${maxBytes} allowed`);
  throw new RejectedError(`${what} is not a regular file (a symbolic link or a directory)`);
}

/** The local path of an object the request names; refused when it is not the build's to name. */
function objectPath(queueDir: string, segments: string[], what: string): string {
  const name = segments.join("/");
  if (RESERVED_DIRS.includes(segments[0]!) || name.endsWith(REQUEST_SUFFIX)) {
    throw new RejectedError(`${what} ${JSON.stringify(name)} names the signer's own files or another request`);
  }
  return existingObjectPath(queueDir, segments, what);
}

/** Moves an object and its metadata into the job as `as`; false when the object is absent. */
function takeObject(job: Job, path: string, as: string): boolean {
  const taken = moveIntoJob(job, path, as);
  moveIntoJob(job, path + METADATA_SUFFIX, as + METADATA_SUFFIX);
  return taken;
}

function refuseAbsent(segments: string[], what: string): never {
  throw new RejectedError(`${what} ${JSON.stringify(segments.join("/"))} is not in the queue (was it uploaded before the request?)`);
}

function signatureIn(job: Job, object: string, what: string): Uint8Array {
  const metadata = readOrRefuse(
    join(job.dir, object + METADATA_SUFFIX),
    MAX_METADATA_BYTES,
    `the builder signature over ${what} (its ${METADATA_SUFFIX} metadata)`,
    "remote_sign.py attaches one to every object it uploads; refusing an unsigned request",
  );
  return parseSignatureMetadata(metadata, `the metadata of ${what}`);
}

/**
 * Gathers and checks a claimed request. Throws InputError when the request is not one
 * remote_sign.py writes (see parseSigningRequest), RejectedError when it must be refused (paths, missing objects, a builder
 * signature that does not verify).
 */
export function takeRequest(queueDir: string, job: Job, options: { maxBundleBytes: number }): PigweedSigningRequest {
  const what = job.request;
  moveIntoJob(job, join(queueDir, job.request + METADATA_SUFFIX), JOB_REQUEST_FILE + METADATA_SUFFIX);
  const requestBytes = readOrRefuse(join(job.dir, JOB_REQUEST_FILE), MAX_REQUEST_BYTES, `request ${what}`, "it was claimed and is gone");
  let parsed;
  try {
    parsed = parseSigningRequest(requestBytes, `request ${what}`);
  } catch (err) {
    // Still clear the queue of the key uploaded for it (remote_sign.py's name for it), so the
    // build may reuse the names; the bundle's name is unknown when the request cannot be read.
    try {
      takeObject(job, objectPath(queueDir, objectNameSegments(conventionalPublicKeyName(job.request), "builder key"), "builder key"), JOB_PUBLIC_KEY);
    } catch {
      // no such key in the queue: nothing to clear
    }
    throw err;
  }

  // Both taken before either is found missing, so a refused request leaves none of its objects
  // in the queue to block the build's next upload under the same names.
  const keyFile = objectPath(queueDir, parsed.builderPublicKeyPath, "bundle_public_key_path");
  const bundleFile = objectPath(queueDir, parsed.bundlePath, "bundle_path");
  const haveKey = takeObject(job, keyFile, JOB_PUBLIC_KEY);
  const haveBundle = takeObject(job, bundleFile, JOB_BUNDLE);
  if (!haveKey) refuseAbsent(parsed.builderPublicKeyPath, "bundle_public_key_path");
  if (!haveBundle) refuseAbsent(parsed.bundlePath, "bundle_path");
  const keyPath = parsed.builderPublicKeyPath.join("/");
  const builderPublicKey = parseBuilderPublicKey(
    readOrRefuse(join(job.dir, JOB_PUBLIC_KEY), MAX_PUBLIC_KEY_BYTES, `builder key ${keyPath}`, "it was moved and is gone"),
    `builder key ${keyPath}`,
  );
  if (!verifyBuilderSignature(builderPublicKey, requestBytes, signatureIn(job, JOB_REQUEST_FILE, `request ${what}`))) {
    throw new RejectedError(
      `the builder signature over request ${what} does not verify with builder key ${keyPath} (sha256:${builderPublicKey.fingerprint}): the request was changed after the build signed it, or signed with another key`,
    );
  }
  const bundlePath = parsed.bundlePath.join("/");
  const bundle = readOrRefuse(join(job.dir, JOB_BUNDLE), options.maxBundleBytes, `bundle ${bundlePath}`, "it was moved and is gone");
  if (!verifyBuilderSignature(builderPublicKey, bundle, signatureIn(job, JOB_BUNDLE, `bundle ${bundlePath}`))) {
    throw new RejectedError(
      `the builder signature over bundle ${bundlePath} does not verify with builder key ${keyPath} (sha256:${builderPublicKey.fingerprint}): the bundle was changed after the build signed it, or signed with another key`,
    );
  }
  return {
    requestPath: job.request,
    job: job.id,
    keyNames: parsed.keyNames,
    bundle,
    bundlePath,
    builderPublicKey,
    builderPublicKeyPath: keyPath,
    output: { bucket: parsed.output.bucket, path: parsed.output.path.join("/") },
    requestBytes,
  };
}
