// Reading inputs with errors that name the file, and writing outputs atomically: an output file
// is either absent, its old content, or the complete new content, never a partial write.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "./errors.js";

/** Reads a whole input file; `what` names its role in the error ("root metadata", "key"). */
export function readInput(path: string, what: string, options: { emptyAllowed?: boolean } = {}): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new InputError(`cannot read ${what} file ${path}: ${describeFsError(err)}`);
  }
  // An empty file is nearly always a failed download or a wrong path; say so instead of letting a
  // parser (or the device) report a missing field. Only a manifest may be empty: a Manifest
  // message whose fields are all default encodes to no bytes.
  if (bytes.length === 0 && !options.emptyAllowed) throw new InputError(`${path} is an empty file (0 bytes), not a usable ${what}`);
  return bytes;
}

/**
 * Writes `data` to `path` through a temporary file in the same directory and a rename, so a
 * crash or an error never leaves a half-written output, and an existing file is replaced whole.
 */
export function writeAtomic(path: string, data: Uint8Array | string, mode = 0o644): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, "wx", mode);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw new InputError(`cannot write output file ${path}: ${describeFsError(err)}`);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory (check the path)";
    case "EACCES":
    case "EPERM":
      return "permission denied (check the file's permissions)";
    case "EISDIR":
      return "it is a directory (give a file path)";
    case "EEXIST":
      return "a temporary file of that name exists (retry)";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
