// The signing service's end of Pigweed's remote_sign.py protocol, over directories: the queue is
// remote_sign.py's input bucket, and each output bucket a directory under a bucket root. A
// Pigweed build keeps its remote_sign.py and swaps only the GCS bucket client for one that writes
// these directories. The build uploads, into the queue:
//
//   KEY                               its builder public key, SPKI PEM (remote_sign.py names it
//                                     REQUEST_NAME.publickey.pem, REQUEST_NAME = request minus .json)
//   BUNDLE, BUNDLE.metadata.json      the unsigned bundle and {"signature": base64 builder signature}
//   REQ, REQ.metadata.json            REQ = *signing_request.json (last, so the rest is there), with
//                                     {"remote_signing_key_names", "bundle_path",
//                                     "bundle_public_key_path", "output_bucket", "output_path"}
//
// and polls OUTPUT_BUCKET/output_path, which the signer writes once the service signed. Each
// request is claimed by one rename before any work and finished by another (pigweed-jobs.ts), so
// it is signed at most once, whatever crashes; every outcome is recorded with its reason. The
// queue's top-level processing/, processed/ and failed/ are the signer's: requests uploaded
// under those names are never taken.
import { readdirSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { InputError, RejectedError } from "../format/index.js";
import { claimRequest, finishJob, recoverInterrupted, RESERVED_DIRS, type Job, type JobResult } from "./pigweed-jobs.js";
import { DEFAULT_MAX_BUNDLE_BYTES, takeRequest, type PigweedSigningRequest } from "./pigweed-intake.js";
import { outputLocation, writeOutput } from "./pigweed-output.js";
import { REQUEST_SUFFIX } from "./pigweed-request.js";

/** How deep below the queue requests are looked for (GCS names have no depth; a bound does). */
export const MAX_QUEUE_DEPTH = 16;
export const DEFAULT_WATCH_INTERVAL_MS = 1000;

export interface QueueOptions {
  /** The input bucket: where builds put requests. Its processing/, processed/, failed/ are the signer's. */
  queueDir: string;
  /** Output bucket B is the directory bucketRoot/B, which must exist. */
  bucketRoot: string;
  /**
   * The service: decides and signs, returning the signed bundle's bytes. Throws RejectedError (or
   * InputError) to refuse; any other error is reported as a failure. Called only for requests
   * whose builder signatures verified with `request.builderPublicKey`, which it must check
   * against its allow-list of builder keys.
   */
  signBundle(request: PigweedSigningRequest): Promise<Uint8Array>;
  /** Told of every finished request, as it finishes. */
  log?(event: JobResult): void;
  maxBundleBytes?: number;
  now?(): Date;
}

function requireDirectory(path: string, what: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new InputError(`the ${what} ${path} is not a directory; create it or fix the path`);
}

/** The object names of the requests waiting in the queue, oldest name first. */
export function pendingRequests(queueDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, prefix: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a directory that vanished or cannot be read holds nothing the signer can take
    }
    for (const entry of entries) {
      const name = `${prefix}${entry.name}`;
      // Symbolic links are neither followed nor taken: a bucket has none, so one is not an upload.
      if (entry.isDirectory() && depth < MAX_QUEUE_DEPTH && !(depth === 0 && RESERVED_DIRS.includes(entry.name))) {
        walk(join(dir, entry.name), `${name}/`, depth + 1);
      } else if (entry.isFile() && entry.name.endsWith(REQUEST_SUFFIX)) {
        found.push(name);
      }
    }
  };
  walk(queueDir, "", 0);
  return found.sort();
}

/** The outcome a failure stands for: at the request, or from the service. */
function failureOf(err: unknown, stage: "request" | "service"): Pick<JobResult, "outcome" | "reason"> {
  const reason = err instanceof Error ? err.message : String(err);
  if (err instanceof InputError && stage === "request") return { outcome: "malformed", reason };
  if (err instanceof RejectedError || err instanceof InputError) return { outcome: "refused", reason };
  return { outcome: "failed", reason };
}

async function processJob(options: QueueOptions, job: Job): Promise<Omit<JobResult, "job" | "request">> {
  let request: PigweedSigningRequest;
  let location;
  try {
    request = takeRequest(options.queueDir, job, { maxBundleBytes: options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES });
    location = outputLocation(options.bucketRoot, options.queueDir, request.output.bucket, request.output.path.split("/"));
  } catch (err) {
    return failureOf(err, "request");
  }
  try {
    writeOutput(location, await options.signBundle(request));
  } catch (err) {
    return failureOf(err, "service");
  }
  return { outcome: "signed", output: request.output };
}

/**
 * One pass over the queue: finishes jobs a stopped signer left behind, then claims, checks and
 * hands to the service each waiting request, one at a time. Returns what became of each.
 */
export async function processQueueOnce(options: QueueOptions): Promise<JobResult[]> {
  requireDirectory(options.queueDir, "queue directory");
  requireDirectory(options.bucketRoot, "bucket root");
  const now = options.now ?? (() => new Date());
  const results = recoverInterrupted(options.queueDir, now());
  for (const result of results) options.log?.(result);
  for (const name of pendingRequests(options.queueDir)) {
    const job = claimRequest(options.queueDir, name, now());
    if (!job) continue; // another signer claimed it between the listing and the rename
    const result = finishJob(options.queueDir, job, await processJob(options, job), now());
    options.log?.(result);
    results.push(result);
  }
  return results;
}

export interface QueueWatcher {
  /** Stops after the pass under way (if any) finishes. Rejects with the error that ended the watch, if one did. */
  stop(): Promise<void>;
  /** Settles when the watch ends: resolves after stop(), rejects if a pass failed (an unreadable queue). */
  done: Promise<void>;
}

/** Runs processQueueOnce every `intervalMs` (never two passes at once) until stopped. */
export function watchQueue(options: QueueOptions & { intervalMs?: number }): QueueWatcher {
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (!stopped) {
      await processQueueOnce(options);
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
    }
  })();
  // A failed pass is reported through `done` and stop(); never as an unhandled rejection.
  done.catch(() => undefined);
  return {
    done,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}

export type { PigweedSigningRequest } from "./pigweed-intake.js";
export type { JobOutcome, JobResult } from "./pigweed-jobs.js";
export type { BuilderPublicKey } from "./pigweed-builder-key.js";
