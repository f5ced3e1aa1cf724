// Bucket object names as local paths. Pigweed's remote_sign.py names everything by a GCS bucket
// and an object name inside it; here a bucket is a directory and an object name is a path under
// it. A name is only ever joined under its root after it proved to be a plain relative path
// (no `..`, no absolute path, no empty or `.` segment), and the directory it lands in is checked
// again after symbolic links are resolved, so no request can make the signer read or write
// outside the queue or the bucket root.
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import { join, sep } from "node:path";
import { RejectedError } from "../format/index.js";
import { syncDirectory } from "./durable-files.js";

/** GCS's own limit on an object name, in UTF-8 bytes. */
export const MAX_OBJECT_NAME_BYTES = 1024;

/** GCS bucket names: 3 to 63 lowercase letters, digits, `-`, `_`, `.`, starting and ending alphanumeric. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

/**
 * The segments of an object name, refused (RejectedError) when it could leave its bucket or
 * means something else on a file system than in a bucket: absolute, `..` or `.` segments, empty
 * segments (`a//b`, a trailing `/`), backslashes, control characters.
 */
export function objectNameSegments(name: string, what: string): string[] {
  const quoted = JSON.stringify(name);
  if (name.length === 0) throw new RejectedError(`${what} is empty; it must name an object in the bucket`);
  if (Buffer.byteLength(name, "utf8") > MAX_OBJECT_NAME_BYTES) {
    throw new RejectedError(`${what} is longer than ${MAX_OBJECT_NAME_BYTES} bytes (MAX_OBJECT_NAME_BYTES, GCS's limit)`);
  }
  if (/[\u0000-\u001f\u007f\\]/.test(name)) {
    throw new RejectedError(`${what} ${quoted} holds a control character or a backslash; object names here are plain relative paths`);
  }
  if (name.startsWith("/")) throw new RejectedError(`${what} ${quoted} is an absolute path; it must be relative to the bucket`);
  const segments = name.split("/");
  for (const segment of segments) {
    if (segment === "..") throw new RejectedError(`${what} ${quoted} climbs out of its bucket with ".."`);
    if (segment === "." || segment === "") {
      throw new RejectedError(`${what} ${quoted} has an empty or "." path segment; give the object's plain name`);
    }
  }
  return segments;
}

/** A bucket name as GCS allows it: never `.`, `..`, a path, or anything with a `/`. */
export function requireBucketName(name: string, what: string): string {
  if (!BUCKET_NAME.test(name)) {
    throw new RejectedError(`${what} ${JSON.stringify(name)} is not a bucket name (3-63 of a-z 0-9 . _ -, starting and ending with a letter or digit)`);
  }
  return name;
}

/** True when `path` is `root` itself or lies inside it (both already resolved). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * The local path of an existing object for reading or moving. Its directory must resolve
 * (through any symbolic links) inside `root`; the object itself is opened without following a
 * link by whoever reads it.
 */
export function existingObjectPath(root: string, segments: string[], what: string): string {
  const path = join(root, ...segments);
  const directory = join(root, ...segments.slice(0, -1));
  let resolved: string;
  try {
    resolved = realpathSync(directory);
  } catch {
    throw new RejectedError(`${what} ${JSON.stringify(segments.join("/"))} is not in the bucket (its directory does not exist)`);
  }
  if (!isInside(realpathSync(root), resolved)) {
    throw new RejectedError(`${what} ${JSON.stringify(segments.join("/"))} leads out of the bucket through a symbolic link`);
  }
  return path;
}

/**
 * The local path at which a new object is written, creating its directories inside the bucket.
 * Every directory on the way must be a real directory: a symbolic link planted in the bucket
 * could otherwise aim the write anywhere.
 */
export function newObjectPath(bucketDir: string, segments: string[], what: string): string {
  let directory = bucketDir;
  for (const segment of segments.slice(0, -1)) {
    const next = join(directory, segment);
    let stat;
    try {
      stat = lstatSync(next);
    } catch {
      mkdirSync(next);
      syncDirectory(directory);
      directory = next;
      continue;
    }
    if (!stat.isDirectory()) {
      throw new RejectedError(`${what} ${JSON.stringify(segments.join("/"))} goes through ${next}, which is not a directory (a file or a symbolic link)`);
    }
    directory = next;
  }
  return join(directory, segments[segments.length - 1]!);
}
