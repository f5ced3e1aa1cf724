// The artifact store: content-addressed, immutable objects in a directory, as the build system
// leaves unsigned bundles and provenance for the signer and the release system (DESIGN.md,
// "Services and trust"). An object's name is the SHA-256 of its bytes, objects/sha256/<hex>, so
// a name can never come to mean other bytes: putting the same bytes twice is a no-op, and an
// existing file under a name that its bytes do not hash to is damage, reported, never
// overwritten. Writes are atomic (temporary file in the same directory, fsync, rename, fsync of
// the directory), so a crash mid-put leaves either no object or the whole one; readers verify the
// digest of what they read. Plain files only: any static web server can serve the directory.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InputError, RejectedError } from "../format/index.js";

export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Where an object lives under the store's root, as a URL path too. */
export const OBJECTS_DIR = "objects/sha256";

export interface StoredObject {
  sha256: string;
  size: number;
  /** Whether this put wrote it (false: the store already held these bytes). */
  written: boolean;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export class ArtifactStore {
  private readonly objects: string;

  constructor(readonly root: string) {
    this.objects = join(root, OBJECTS_DIR);
  }

  /** The file of an object (which may not exist). */
  pathOf(sha256: string): string {
    return join(this.objects, requireDigest(sha256));
  }

  has(sha256: string): boolean {
    const path = this.pathOf(sha256); // a malformed name is an input error, not "absent"
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  }

  /** Stores bytes under their digest; the same bytes again are not written twice. */
  put(bytes: Uint8Array): StoredObject {
    const sha256 = sha256Hex(bytes);
    const path = this.pathOf(sha256);
    if (this.has(sha256)) {
      this.get(sha256); // an existing object must be these bytes: a damaged one is reported
      return { sha256, size: bytes.length, written: false };
    }
    mkdirSync(this.objects, { recursive: true });
    const temporary = join(this.objects, `.tmp-${sha256.slice(0, 16)}-${randomBytes(6).toString("hex")}`);
    const fd = openSync(temporary, "wx", 0o444);
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      throw err;
    }
    closeSync(fd);
    // A concurrent put of the same bytes may have won the race: rename replaces it with the same
    // bytes, which is the one case where replacing is harmless.
    renameSync(temporary, path);
    syncDirectory(this.objects);
    return { sha256, size: bytes.length, written: true };
  }

  /** An object's bytes, checked against its name. */
  get(sha256: string): Uint8Array {
    const path = this.pathOf(sha256);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new InputError(`the artifact store ${this.root} has no object sha256:${sha256} (put it there first: airlock store put --store ${this.root} FILE)`);
    }
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new RejectedError(
        `object sha256:${sha256} in ${this.root} holds other bytes (they hash to ${actual}): the store is damaged or was edited; restore that file from a replica or put the original bytes again after removing it`,
      );
    }
    return bytes;
  }
}

function requireDigest(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) {
    throw new InputError(`"${sha256}" is not a SHA-256 object name: 64 lower-case hex digits (what airlock store put printed)`);
  }
  return sha256;
}

/** fsync of a directory, so a rename in it survives a power loss (a no-op where unsupported). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
