// Where the signed bundle goes: BUCKET_ROOT/output_bucket/output_path, the object remote_sign.py's
// client polls for (`output_bucket.blob(output_path).exists()`) and then downloads. It appears
// whole (written and synced under a temporary name first), and it never replaces an object that
// is already there: a second signature for the same name could hand a device a bundle nobody
// asked for, so an existing different output refuses the request instead.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError, RejectedError } from "../format/index.js";
import { isInside, newObjectPath } from "./bucket-paths.js";
import { createDurably } from "./durable-files.js";

export interface OutputLocation {
  bucket: string;
  /** The bucket's directory, symbolic links resolved. */
  bucketDir: string;
  /** The object name, segments checked by parseSigningRequest. */
  segments: string[];
  /** The local file the object is. */
  file: string;
}

/**
 * Checks where a request's output would go, before anything is signed: the bucket must exist
 * under the bucket root, the output must not land in the queue, and nothing may be there yet.
 */
export function outputLocation(bucketRoot: string, queueDir: string, bucket: string, segments: string[]): OutputLocation {
  const bucketDir = join(bucketRoot, bucket);
  if (!existsSync(bucketDir) || !statSync(bucketDir).isDirectory()) {
    throw new RejectedError(`output_bucket ${JSON.stringify(bucket)} does not exist (no directory ${bucketDir} under the bucket root)`);
  }
  // newObjectPath refuses symbolic links below the bucket, so this is where the file will be.
  const resolved = realpathSync(bucketDir);
  const file = join(resolved, ...segments);
  if (isInside(realpathSync(queueDir), file)) {
    throw new RejectedError(`output ${bucket}/${segments.join("/")} would be written into the signing queue itself`);
  }
  if (existsSync(file)) throw new RejectedError(`output ${bucket}/${segments.join("/")} already exists; the signer never replaces an output`);
  return { bucket, bucketDir: resolved, segments, file };
}

/** Writes the signed bundle at its location; an equal object already there counts as written. */
export function writeOutput(location: OutputLocation, signed: Uint8Array): void {
  const name = `${location.bucket}/${location.segments.join("/")}`;
  if (signed.length === 0) throw new InputError(`the signing service returned an empty bundle for ${name}`);
  const file = newObjectPath(location.bucketDir, location.segments, "output_path");
  if (createDurably(file, signed)) return;
  if (!Buffer.from(readFileSync(file)).equals(Buffer.from(signed))) {
    throw new RejectedError(`output ${name} appeared while the bundle was being signed, with other bytes; it was not replaced`);
  }
}
