// `bundle create` from image files without holding them in memory: one pass hashes each file,
// the second streams it into the output after the metadata, hashing again, so a file that
// changes in between is caught instead of bundled with a hash that does not match it.
import { createHash } from "node:crypto";
import { createReadStream, fstatSync, openSync, closeSync } from "node:fs";
import { bundleMetadata, payloadFieldPrefix, type PayloadDescriptor } from "./bundle.js";
import { InputError } from "./errors.js";
import { describeFsError, OutputFile, type OutputOptions } from "./files.js";

export interface BundleFileOptions {
  targetsVersion: number;
  /** Target name -> image file, in the order the bundle lists them. */
  targets: Array<{ name: string; file: string }>;
  root?: Uint8Array;
  hardwareId?: string;
  /** Refuses what the device would not take (a board's slot sizes), before anything is written. */
  requireFits?: (payloads: PayloadDescriptor[], metadataBytes: number) => void;
  /** Bytes hashed and written so far, of the total (both passes count). */
  onProgress?: (phase: "hash" | "write", done: number, total: number) => void;
}

/** Writes an unsigned bundle to `output`; returns its metadata part (root and targets). */
export async function writeBundleFile(output: string, options: BundleFileOptions, outputOptions: OutputOptions = {}): Promise<Uint8Array> {
  const sizes = options.targets.map(({ name, file }) => imageSize(name, file));
  const total = sizes.reduce((a, b) => a + b, 0);
  const payloads: PayloadDescriptor[] = [];
  let hashed = 0;
  for (const [i, { name, file }] of options.targets.entries()) {
    const sha256 = await hashFile(name, file, (n) => options.onProgress?.("hash", (hashed += n), total));
    payloads.push({ name, length: sizes[i], sha256 });
  }
  const metadata = bundleMetadata({ targetsVersion: options.targetsVersion, payloads, root: options.root, hardwareId: options.hardwareId });
  options.requireFits?.(payloads, metadata.length);

  const out = OutputFile.open(output, outputOptions);
  try {
    out.write(metadata);
    let written = 0;
    for (const payload of payloads) {
      out.write(payloadFieldPrefix(payload.name, payload.length));
      const file = options.targets.find((t) => t.name === payload.name)!.file;
      const hash = createHash("sha256");
      let length = 0;
      for await (const chunk of readImage(payload.name, file)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        length += bytes.length;
        // Never write past the length the metadata declares, even if the file grew meanwhile.
        if (length <= payload.length) out.write(bytes);
        options.onProgress?.("write", (written += bytes.length), total);
      }
      if (length !== payload.length || !hash.digest().equals(payload.sha256)) {
        throw new InputError(`image ${file} (target "${payload.name}") changed while the bundle was being written; nothing was written, run the command again once the file is final`);
      }
    }
    out.commit();
  } finally {
    out.abort();
  }
  return metadata;
}

function imageSize(name: string, file: string): number {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new InputError(`cannot read target "${name}" file ${file}: ${describeFsError(err, file)}`);
  }
  try {
    const stat = fstatSync(fd);
    // The image is read twice (hash, then copy); a pipe or device could not be read again.
    if (!stat.isFile()) throw new InputError(`target "${name}" file ${file} is not a regular file; give an image file (save a stream to a file first)`);
    if (stat.size === 0) throw new InputError(`${file} is an empty file (0 bytes), not a usable target "${name}"`);
    return stat.size;
  } finally {
    closeSync(fd);
  }
}

async function hashFile(name: string, file: string, onBytes: (n: number) => void): Promise<Uint8Array> {
  const hash = createHash("sha256");
  for await (const chunk of readImage(name, file)) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return new Uint8Array(hash.digest());
}

async function* readImage(name: string, file: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  } catch (err) {
    throw new InputError(`cannot read target "${name}" file ${file}: ${describeFsError(err, file)}`);
  }
}
