// The file operations the queue's exactly-once promise rests on: a rename that is on disk before
// the signer goes on (so a power loss after a signature can never bring the request back into
// the queue), a file that appears whole or not at all and never replaces another (the signed
// output), and reads that neither follow a planted symbolic link nor swallow an endless file.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** fsync of a directory, so the renames and links in it survive a power loss. */
export function syncDirectory(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP") throw err;
  } finally {
    closeSync(fd);
  }
}

/** Renames `from` to `to` (atomic on one file system) and syncs both directories. */
export function renameDurably(from: string, to: string): void {
  renameSync(from, to);
  syncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) syncDirectory(dirname(from));
}

export type ReadResult = { ok: true; bytes: Uint8Array } | { ok: false; problem: "missing" | "not-a-file" | "too-large"; size?: number };

/**
 * Reads a whole regular file of at most `maxBytes`, without following a symbolic link at its
 * last component. The size is taken from the open file, so a file swapped after the check is
 * not the one read.
 */
export function readBounded(path: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, problem: "missing" };
    if (code === "ELOOP" || code === "EISDIR") return { ok: false, problem: "not-a-file" };
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, problem: "not-a-file" };
    if (stat.size > maxBytes) return { ok: false, problem: "too-large", size: stat.size };
    const bytes = new Uint8Array(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { ok: true, bytes: bytes.subarray(0, read) };
  } finally {
    closeSync(fd);
  }
}

function writeSynced(path: string, data: Uint8Array): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function temporaryBeside(path: string): string {
  // Starts with "." and ends in ".tmp": never a request name, and tools that list a bucket skip it.
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Writes `data` at `path` only if nothing is there: written and synced under a temporary name,
 * then hard-linked into place, which fails atomically when `path` exists (a rename would
 * silently replace it). Returns false, writing nothing, when `path` already exists.
 */
export function createDurably(path: string, data: Uint8Array): boolean {
  const temporary = temporaryBeside(path);
  writeSynced(temporary, data);
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    rmSync(temporary, { force: true });
  }
  syncDirectory(dirname(path));
  return true;
}

/** Writes `data` at `path`, replacing it whole (a bookkeeping file the signer alone writes). */
export function replaceDurably(path: string, data: Uint8Array | string): void {
  const temporary = temporaryBeside(path);
  try {
    writeSynced(temporary, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
  syncDirectory(dirname(path));
}
