// The life of one queued request on disk, so that each is signed at most once whatever crashes:
//
//   QUEUE/NAME_signing_request.json                      uploaded by the build
//   QUEUE/processing/JOB/signing_request.json            claimed: one rename, synced before any work
//   QUEUE/processed/JOB/ or QUEUE/failed/JOB/            finished: the job directory renamed whole
//
// JOB is a fresh name (time and randomness), so a claim never lands on anything and two signers
// racing for one request cannot both win: the loser's rename finds the request gone. Beside the
// request the job keeps job.json (which request, claimed by which process), the objects the
// request named once they are moved out of the queue, and result.json (the outcome and why).
// A job still under processing/ whose process is gone was interrupted mid-way: it moves to
// failed/ and is never retried, since its bundle may already have been signed and handed out.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, renameSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { renameDurably, replaceDurably, syncDirectory } from "./durable-files.js";
import { processRuns } from "../format/index.js";

export const PROCESSING_DIR = "processing";
export const PROCESSED_DIR = "processed";
export const FAILED_DIR = "failed";
/** Top-level names in the queue that belong to the signer, never to a request. */
export const RESERVED_DIRS: readonly string[] = [PROCESSING_DIR, PROCESSED_DIR, FAILED_DIR];

export const JOB_REQUEST_FILE = "signing_request.json";
const JOB_FILE = "job.json";
const RESULT_FILE = "result.json";
/** A job directory being made: `.draft-PID-JOB`, renamed to JOB once its job.json is in it. */
const DRAFT_PREFIX = ".draft-";

/**
 * signed: the output is in the output bucket. malformed: the request is not the JSON remote_sign.py
 * writes. refused: understood and refused (a bad path or builder signature, or the service said
 * no). failed: the signer could not finish (a backend error, an unwritable output).
 * interrupted: the signer stopped while working on it; not retried, so it cannot be signed twice.
 */
export type JobOutcome = "signed" | "malformed" | "refused" | "failed" | "interrupted";

export interface JobResult {
  /** The request's object name in the queue, as the build uploaded it. */
  request: string;
  /** The job directory's name under processed/ or failed/. */
  job: string;
  outcome: JobOutcome;
  reason?: string;
  /** Where the signed bundle was written (bucket and object name), when signed. */
  output?: { bucket: string; path: string };
}

export interface Job {
  id: string;
  dir: string;
  request: string;
}

interface JobRecord {
  request: string;
  claimedAt: string;
  pid: number;
  host: string;
}

function newJobId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(4).toString("hex")}`;
}

/**
 * Claims the request at QUEUE/`request` (its object name) by renaming it into a new job
 * directory. Returns undefined when another signer took it first.
 */
export function claimRequest(queueDir: string, request: string, now: Date): Job | undefined {
  const processing = join(queueDir, PROCESSING_DIR);
  mkdirSync(processing, { recursive: true });
  const id = newJobId(now);
  const dir = join(processing, id);
  // The job directory appears with its job.json already inside (made under a name recovery
  // knows by its pid, then renamed), so no job directory is ever without its owner's record.
  const draft = join(processing, `${DRAFT_PREFIX}${process.pid}-${id}`);
  mkdirSync(draft);
  const record: JobRecord = { request, claimedAt: now.toISOString(), pid: process.pid, host: hostname() };
  replaceDurably(join(draft, JOB_FILE), `${JSON.stringify(record)}\n`);
  renameDurably(draft, dir);
  try {
    renameDurably(join(queueDir, request), join(dir, JOB_REQUEST_FILE));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return { id, dir, request };
}

/** Moves an object the request named out of the queue into the job; false if it is not there. */
export function moveIntoJob(job: Job, from: string, name: string): boolean {
  try {
    renameSync(from, join(job.dir, name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** Records the result and moves the job to processed/ (signed) or failed/ (anything else). */
export function finishJob(queueDir: string, job: Job, result: Omit<JobResult, "job" | "request">, now: Date): JobResult {
  const full: JobResult = { request: job.request, job: job.id, ...result };
  replaceDurably(join(job.dir, RESULT_FILE), `${JSON.stringify({ ...full, finishedAt: now.toISOString() })}\n`);
  moveFinished(queueDir, job.id, full.outcome);
  return full;
}

function moveFinished(queueDir: string, id: string, outcome: JobOutcome): void {
  const target = join(queueDir, outcome === "signed" ? PROCESSED_DIR : FAILED_DIR);
  mkdirSync(target, { recursive: true });
  syncDirectory(queueDir);
  renameDurably(join(queueDir, PROCESSING_DIR, id), join(target, id));
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * Finishes the jobs a signer left under processing/ when it stopped (crash, power loss, kill):
 * a job with a result only lost its last rename and moves on as decided; one without a result
 * was interrupted and goes to failed/. Jobs of a process that still runs on this host are
 * another signer's work in progress and are left alone.
 */
export function recoverInterrupted(queueDir: string, now: Date): JobResult[] {
  const processing = join(queueDir, PROCESSING_DIR);
  if (!existsSync(processing)) return [];
  const recovered: JobResult[] = [];
  for (const id of readdirSync(processing).sort()) {
    const dir = join(processing, id);
    if (id.startsWith(DRAFT_PREFIX)) {
      // A claim that stopped before its job directory existed: nothing was taken from the queue.
      if (!processRuns(Number(id.slice(DRAFT_PREFIX.length).split("-")[0]))) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const record = readJson<JobRecord>(join(dir, JOB_FILE));
    if (!record) continue; // not a job this signer made: left for an operator to look at
    // Another host's jobs cannot be judged from here (its pids mean nothing on this one).
    if (record.host !== hostname() || processRuns(record.pid)) continue;
    if (!existsSync(join(dir, JOB_REQUEST_FILE))) {
      // Stopped before its claim took effect: the request is still in the queue.
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const decided = readJson<JobResult>(join(dir, RESULT_FILE));
    if (decided) {
      moveFinished(queueDir, id, decided.outcome);
      recovered.push(decided);
      continue;
    }
    const job = { id, dir, request: record.request };
    recovered.push(
      finishJob(queueDir, job, {
        outcome: "interrupted",
        reason: `the signer stopped (pid ${record.pid}) while processing this request; it is not retried, since its bundle may already have been signed: upload a new request to sign again`,
      }, now),
    );
  }
  return recovered;
}
