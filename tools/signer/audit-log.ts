// The signing service's audit log: append-only JSON Lines, one entry per request (who asked, for
// which key, product and digest, what was decided and why), hash-chained. Each entry holds the
// previous entry's hash and its own hash over all its other fields, so editing an entry breaks
// its hash, dropping or reordering entries breaks the chain (and the sequence numbers), and only
// cutting entries off the end goes unseen by the file alone: `verify` takes the head the service
// last reported (its state keeps it) to catch that too. Every append is fsynced before the
// service answers, so a signature handed out is always in the log.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { InputError } from "../format/index.js";

export const GENESIS = "0".repeat(64);

export interface AuditFacts {
  requestId: string;
  identity: string;
  key: string;
  product: string;
  /** SHA-256 of what was to be signed. */
  digest: string;
  /** pending: waits for approvals; approved: one approver's approval. */
  decision: "signed" | "refused" | "pending" | "approved";
  reason: string;
}

export interface AuditEntry extends AuditFacts {
  seq: number;
  time: string;
  prev: string;
  hash: string;
}

/** The hash of an entry: SHA-256 over its fields but `hash`, in one fixed order. */
export function entryHash(e: Omit<AuditEntry, "hash">): string {
  const ordered = [e.seq, e.time, e.prev, e.requestId, e.identity, e.key, e.product, e.digest, e.decision, e.reason];
  return createHash("sha256").update(JSON.stringify(ordered)).digest("hex");
}

export class AuditLog {
  private seq = 0;
  private head = GENESIS;

  /** Opens (or creates) the log; a torn last line (a crash mid-append, never acknowledged) is cut. */
  constructor(readonly path: string, private readonly now: () => Date = () => new Date()) {
    if (!existsSync(path)) return;
    const text = readFileSync(path, "utf8");
    const complete = text.lastIndexOf("\n") + 1;
    if (complete < text.length) truncateSync(path, complete);
    const result = verifyAuditText(text.slice(0, complete));
    if (!result.ok) throw new InputError(`the audit log ${path} is damaged at line ${result.line}: ${result.problem}; the service will not append to it (keep it as evidence and start a new log)`);
    this.seq = result.entries;
    this.head = result.head;
  }

  get headHash(): string {
    return this.head;
  }

  get entries(): number {
    return this.seq;
  }

  append(facts: AuditFacts): AuditEntry {
    const base = { seq: this.seq + 1, time: this.now().toISOString(), prev: this.head, ...facts };
    const entry: AuditEntry = { ...base, hash: entryHash(base) };
    const fd = openSync(this.path, "a", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.seq = entry.seq;
    this.head = entry.hash;
    return entry;
  }
}

export type AuditVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; line: number; problem: string; entries: number; head: string };

/** Checks a whole log's text; `expectedHead` (the service's last head) also catches a cut tail. */
export function verifyAuditText(text: string, expectedHead?: string): AuditVerdict {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const fail = (problem: string): AuditVerdict => ({ ok: false, line: i + 1, problem, entries: i, head: prev });
    let e: AuditEntry;
    try {
      e = JSON.parse(lines[i]!) as AuditEntry;
    } catch {
      return fail("not a JSON entry (torn or edited)");
    }
    if (e.seq !== i + 1) return fail(`sequence number ${e.seq} where ${i + 1} belongs: entries were dropped, added or reordered before it`);
    if (e.prev !== prev) return fail("its previous-entry hash is not the hash of the entry before it: an entry before it was dropped, edited or reordered");
    const { hash, ...rest } = e;
    if (entryHash(rest) !== hash) return fail("its content does not match its hash: the entry was edited");
    prev = hash;
  }
  if (expectedHead !== undefined && expectedHead !== prev) {
    return { ok: false, line: lines.length + 1, problem: `the log ends at head ${prev}, not at the expected ${expectedHead}: entries were cut off its end`, entries: lines.length, head: prev };
  }
  return { ok: true, entries: lines.length, head: prev };
}
