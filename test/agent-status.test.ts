// The host's status table (host-sim/status.ts) mirrors assembly/status.ts exactly: parsed from
// the agent's source text, so a code added on one side only fails here.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { STATUS_CODES, statusInfo } from "../host-sim/status.js";

const source = readFileSync(new URL("../assembly/status.ts", import.meta.url), "utf8");
const agentCodes = [...source.matchAll(/^export const (\w+) = (-?\d+);/gm)].map((m) => ({ name: m[1], code: Number(m[2]) }));

describe("status codes", () => {
  it("parses a non-trivial table from assembly/status.ts", () => {
    expect(agentCodes.length).toBeGreaterThan(60);
    expect(agentCodes).toContainEqual({ name: "ERR_TARGETS_ROLLBACK", code: -67 });
  });

  it("host and agent define the same names with the same values", () => {
    const host = STATUS_CODES.map(({ name, code }) => ({ name, code }));
    const byCode = (a: { code: number }, b: { code: number }) => b.code - a.code;
    expect([...host].sort(byCode)).toEqual([...agentCodes].sort(byCode));
  });

  it("every code is unique and every message says what to do", () => {
    expect(new Set(agentCodes.map((c) => c.code)).size).toBe(agentCodes.length);
    for (const { code } of agentCodes.filter((c) => c.code < 0)) {
      expect(statusInfo(code).message.length).toBeGreaterThan(30);
    }
  });

  it("names an unknown code as unknown instead of guessing", () => {
    expect(statusInfo(-999).name).toBe("UNKNOWN_-999");
  });
});
