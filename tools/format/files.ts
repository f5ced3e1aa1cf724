// Reading inputs with errors that name the file, and writing outputs so that nothing is lost:
// an output is either absent, its old content, or the complete new content, never a partial
// write; an existing file is replaced only when the user said so (--force) or when the command
// rewrites that file in place under a lock; and nothing but a regular file is ever replaced.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  accessSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "./errors.js";

/** Reads a whole input file; `what` names its role in the error ("root metadata", "key"). */
export function readInput(path: string, what: string, options: { emptyAllowed?: boolean } = {}): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new InputError(`cannot read ${what} file ${path}: ${describeFsError(err, path)}`);
  }
  // An empty file is nearly always a failed download or a wrong path; say so instead of letting a
  // parser (or the device) report a missing field. Only a manifest may be empty: a Manifest
  // message whose fields are all default encodes to no bytes.
  if (bytes.length === 0 && !options.emptyAllowed) throw new InputError(`${path} is an empty file (0 bytes), not a usable ${what}`);
  return bytes;
}

export interface OutputOptions {
  /** File mode of a newly created output (an existing file's mode is not kept). */
  mode?: number;
  /** Replace an existing regular file (the user passed --force). */
  force?: boolean;
  /**
   * The bytes this command read from `path` and now rewrites in place: the file may exist without
   * --force, and the write fails if the file no longer holds exactly these bytes at the rename.
   */
  replacing?: Uint8Array;
}

/** Writes `data` to `path` through an OutputFile: see there. */
export function writeAtomic(path: string, data: Uint8Array | string, options: OutputOptions = {}): void {
  const output = OutputFile.open(path, options);
  try {
    output.write(typeof data === "string" ? Buffer.from(data, "utf8") : data);
    output.commit();
  } finally {
    output.abort();
  }
}

/**
 * An output being written: a temporary file beside `path`, synced and renamed over it at commit.
 * Temporary files are named `.NAME.PID.RANDOM.tmp`; one whose process no longer runs (killed,
 * power lost) is removed by the next write of NAME, and a SIGINT/SIGTERM/SIGHUP removes this
 * process's own before the signal takes effect.
 */
export class OutputFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    private readonly temporary: string,
    private readonly replacing: Uint8Array | undefined,
    fd: number,
  ) {
    this.fd = fd;
  }

  static open(path: string, options: OutputOptions = {}): OutputFile {
    checkOutputPath(path, options);
    removeStaleTemporaries(path);
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    // Registered before it exists: a signal that arrives the instant after the file appears
    // must find it listed, or the process would die leaving it behind.
    pending.add(temporary);
    watchSignals();
    let fd: number;
    try {
      fd = openSync(temporary, "wx", options.mode ?? 0o644);
    } catch (err) {
      forget(temporary);
      throw new InputError(`cannot write output file ${path}: ${describeFsError(err, dirname(path), "directory")}`);
    }
    return new OutputFile(path, temporary, options.replacing, fd);
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`OutputFile ${this.path} written after commit or abort`);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    } catch (err) {
      throw new InputError(`cannot write output file ${this.path}: ${describeFsError(err, dirname(this.path), "directory")}`);
    }
  }

  /** Syncs the temporary file and renames it over `path`. */
  commit(): void {
    if (this.fd === undefined) throw new Error(`OutputFile ${this.path} committed twice`);
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    } catch (err) {
      throw new InputError(`cannot write output file ${this.path}: ${describeFsError(err, dirname(this.path), "directory")}`);
    }
    if (this.replacing !== undefined) requireUnchanged(this.path, this.replacing);
    try {
      renameSync(this.temporary, this.path);
    } catch (err) {
      throw new InputError(`cannot write output file ${this.path}: ${describeFsError(err, dirname(this.path), "directory")}`);
    }
    forget(this.temporary);
  }

  /** Drops the temporary file, if the output was not committed; safe to call after commit. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temporary, { force: true });
    forget(this.temporary);
  }
}

/**
 * Runs a read-modify-write of `path` (signing a file in place) holding `.NAME.lock` beside it,
 * so a second airlock process doing the same waits for the first instead of losing its change.
 * A lock whose process no longer runs is taken over. `rewrite` gets the file's bytes and returns
 * what to write; the write itself still checks the bytes are unchanged at the rename.
 */
export function rewriteInPlace(path: string, what: string, rewrite: (bytes: Uint8Array) => Uint8Array, options: { waitMs?: number } = {}): void {
  withFileLock(path, () => {
    const bytes = readInput(path, what);
    writeAtomic(path, rewrite(bytes), { replacing: bytes, mode: statSync(path).mode & 0o777 });
  }, options);
}

/**
 * Runs `work` holding `.NAME.lock` beside `path` (which need not exist yet), so airlock processes
 * that change the same file take turns: a second one waits up to `waitMs`, then is refused. A
 * lock whose process no longer runs (killed, power lost) is taken over; the lock goes when `work`
 * returns or throws.
 */
export function withFileLock<T>(path: string, work: () => T, options: { waitMs?: number } = {}): T {
  const lock = join(dirname(path), `.${basename(path)}.lock`);
  acquireLock(lock, path, options.waitMs ?? 30_000);
  try {
    return work();
  } finally {
    rmSync(lock, { force: true });
    forget(lock);
  }
}

/** Temporary files and locks of this process not yet renamed or released. */
const pending = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function onSignal(signal: NodeJS.Signals): void {
  for (const path of pending) rmSync(path, { force: true });
  pending.clear();
  unwatchSignals();
  // Re-raise with the default action restored, so the process ends as the signal says (exit
  // status 128+N) and whoever sent it sees what they expect.
  process.kill(process.pid, signal);
}

let watching = false;
function watchSignals(): void {
  if (watching) return;
  watching = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function unwatchSignals(): void {
  if (!watching) return;
  watching = false;
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function forget(path: string): void {
  pending.delete(path);
  if (pending.size === 0) unwatchSignals();
}

/** Refuses outputs that a rename would destroy or that the user did not ask to replace. */
function checkOutputPath(path: string, options: OutputOptions): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new InputError(`cannot write output file ${path}: ${describeFsError(err, path)}`);
  }
  if (stat.isSymbolicLink()) {
    throw new InputError(`${path} is a symbolic link; airlock replaces outputs whole and does not write through links, so give the path of the file itself`);
  }
  if (stat.isDirectory()) throw new InputError(`${path} is a directory; give a file path for the output`);
  if (!stat.isFile()) {
    throw new InputError(`${path} is not a regular file (a device, FIFO or socket); airlock writes outputs only to regular files`);
  }
  // Checked by mode bits as well as access(): root may write anything, but a file someone made
  // read-only is a file someone meant to keep.
  let writable = (stat.mode & 0o222) !== 0;
  try {
    accessSync(path, constants.W_OK);
  } catch {
    writable = false;
  }
  if (!writable) throw new InputError(`${path} is read-only; make it writable (chmod u+w ${path}) or write the output elsewhere`);
  if (!options.force && options.replacing === undefined) {
    throw new InputError(`${path} already exists; refusing to replace it (choose another output path or pass --force)`);
  }
}

function requireUnchanged(path: string, expected: Uint8Array): void {
  let now: Uint8Array;
  try {
    now = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path} went away while airlock was rewriting it (${describeFsError(err, path)}); nothing was written, run the command again`);
  }
  if (!Buffer.from(now).equals(expected)) {
    throw new InputError(`${path} changed while airlock was rewriting it (another program wrote it); nothing was written, run the command again`);
  }
}

const TEMPORARY = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Removes `.NAME.PID.*.tmp` files beside `path` whose process no longer runs. */
function removeStaleTemporaries(path: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the open that follows reports an unreadable directory with its cause
  }
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (match && match[1] === basename(path) && !processRuns(Number(match[2]))) rmSync(join(dirname(path), name), { force: true });
  }
}

/** Whether a process with this ID runs (on this host), as another user too. */
export function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // it runs, as another user
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function acquireLock(lock: string, path: string, waitMs: number): void {
  const deadline = Date.now() + waitMs;
  // The handler is installed before the lock exists (a signal right after its creation must not
  // meet the default action), but the lock is listed only once it is ours: a signal while waiting
  // must not remove another process's lock.
  watchSignals();
  try {
    waitForLock(lock, path, deadline);
  } finally {
    if (pending.size === 0) unwatchSignals();
  }
}

function waitForLock(lock: string, path: string, deadline: number): void {
  for (;;) {
    let created = false;
    try {
      const fd = openSync(lock, "wx", 0o644);
      created = true;
      pending.add(lock); // in the same synchronous step as its creation: no signal handler runs between
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if (created) {
        rmSync(lock, { force: true });
        pending.delete(lock);
        throw new InputError(`cannot lock ${path} for rewriting: ${describeFsError(err, dirname(path), "directory")}`);
      }
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new InputError(`cannot lock ${path} for rewriting: ${describeFsError(err, dirname(path), "directory")}`);
      }
    }
    const holder = lockHolder(lock);
    if (holder !== undefined && !processRuns(holder)) {
      rmSync(lock, { force: true }); // left by a process that was killed: take it over
      continue;
    }
    if (Date.now() >= deadline) {
      throw new InputError(
        `${path} is being rewritten by another airlock process${holder === undefined ? "" : ` (pid ${holder})`}; wait for it to finish, or remove ${lock} if no such process runs`,
      );
    }
    Atomics.wait(sleeper, 0, 0, 20);
  }
}

function lockHolder(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The cause of a file-system error in words, naming `where` (the file or its directory). */
export function describeFsError(err: unknown, where: string, kind: "file" | "directory" = "file"): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      // Node decodes argv as UTF-8, so a name with other bytes arrives with U+FFFD in it and can
      // never be found: say that rather than "no such file".
      if (where.includes("\ufffd")) return "the file name is not valid UTF-8, and Node.js cannot pass such a name through; rename the file";
      return kind === "directory" ? `directory ${where} does not exist (create it or fix the path)` : "no such file or directory (check the path)";
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return kind === "directory"
        ? `directory ${where} is not writable (check its permissions, or write elsewhere)`
        : `permission denied (check the permissions of ${where})`;
    case "EISDIR":
      return "it is a directory (give a file path)";
    case "ENOTDIR":
      return "a part of the path is not a directory (check the path)";
    case "ENOSPC":
      return "no space left on the device (free some space; nothing was replaced)";
    case "EEXIST":
      return "a temporary file of that name exists (retry)";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
