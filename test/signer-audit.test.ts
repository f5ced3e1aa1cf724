// The signing service's audit log (tools/signer/audit-log.ts): every edit, drop or reorder of an
// entry is found by `airlock signer audit verify`, a cut tail is found against the service's head,
// and a crash mid-append (a torn last line) is cut when the service opens the log again.
import { afterAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog, GENESIS, entryHash, verifyAuditText, type AuditEntry, type AuditFacts } from "../tools/signer/index.js";
import { airlock } from "./helpers/cli-run.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function facts(i: number): AuditFacts {
  return {
    requestId: `req-${i}`, identity: i % 2 ? "ci-builder" : "alice", key: "targets-test", product: "thermostat",
    digest: String(i).padStart(64, "0"), decision: i === 3 ? "refused" : "signed", reason: i === 3 ? "eng build to a production key" : "policy allows",
  };
}

function logOf(entries: number): { path: string; log: AuditLog; lines: string[] } {
  const path = join(dir, `audit-${n++}.jsonl`);
  const log = new AuditLog(path, () => new Date("2026-12-07T10:00:00Z"));
  for (let i = 1; i <= entries; i++) log.append(facts(i));
  return { path, log, lines: readFileSync(path, "utf8").trimEnd().split("\n") };
}

const rewrite = (path: string, lines: string[]) => writeFileSync(path, `${lines.join("\n")}\n`);

describe("audit log", () => {
  it("chains entries from the genesis hash and verifies intact", async () => {
    const { path, log, lines } = logOf(5);
    expect(JSON.parse(lines[0]!).prev).toBe(GENESIS);
    expect(JSON.parse(lines[1]!).prev).toBe(JSON.parse(lines[0]!).hash);
    const r = await airlock("signer", "audit", "verify", path, "--head", log.headHash, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, entries: 5, head: log.headHash });
  });

  it("finds an edited entry (a refusal turned into a signature)", async () => {
    const { path, lines } = logOf(5);
    const e = JSON.parse(lines[2]!);
    lines[2] = JSON.stringify({ ...e, decision: "signed" });
    rewrite(path, lines);
    const r = await airlock("signer", "audit", "verify", path);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3: its content does not match its hash: the entry was edited/);
  });

  it("finds an edited entry whose hash was recomputed: the next entry's chain breaks", () => {
    const { lines } = logOf(5);
    const { hash: _old, ...rest } = JSON.parse(lines[1]!) as AuditEntry;
    void _old;
    const forged = { ...rest, identity: "mallory" };
    lines[1] = JSON.stringify({ ...forged, hash: entryHash(forged) });
    expect(verifyAuditText(`${lines.join("\n")}\n`)).toMatchObject({ ok: false, line: 3, problem: expect.stringMatching(/previous-entry hash/) });
  });

  it("finds a dropped entry and a reordering", () => {
    const { lines } = logOf(6);
    const dropped = [...lines.slice(0, 2), ...lines.slice(3)];
    expect(verifyAuditText(`${dropped.join("\n")}\n`)).toMatchObject({ ok: false, line: 3, problem: expect.stringMatching(/sequence number 4/) });
    const swapped = [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)];
    expect(verifyAuditText(`${swapped.join("\n")}\n`)).toMatchObject({ ok: false, line: 2 });
  });

  it("finds entries cut off the end only against the service's head", async () => {
    const { path, log, lines } = logOf(4);
    rewrite(path, lines.slice(0, 3));
    expect((await airlock("signer", "audit", "verify", path)).code).toBe(0);
    const r = await airlock("signer", "audit", "verify", path, "--head", log.headHash);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/entries were cut off its end/);
  });

  it("cuts a torn last line on reopen and continues the chain; refuses to append to a damaged log", () => {
    const { path, log } = logOf(3);
    appendFileSync(path, '{"seq":4,"time":"2026-12-07T10:0'); // the crash
    const reopened = new AuditLog(path);
    expect(reopened.entries).toBe(3);
    expect(reopened.headHash).toBe(log.headHash);
    reopened.append(facts(4));
    expect(verifyAuditText(readFileSync(path, "utf8"))).toMatchObject({ ok: true, entries: 4 });
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    rewrite(path, [lines[0]!, lines[2]!, lines[3]!]);
    expect(() => new AuditLog(path)).toThrow(/damaged at line 2.*will not append/);
  });
});
