// The crypto test surface under arbitrary host input: random window contents and lengths (biased
// to the boundaries), calls in any order. Every call must return a documented code — never trap,
// never grow memory — and the agent must still hash correctly afterwards.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { instantiateAgent, refusingFlashPort } from "../host-sim/index.js";
import {
  OK, ERR_IO_RANGE, ERR_SIGNATURE_INVALID, ERR_SIGNATURE_MALLEABLE, ERR_PUBLIC_KEY_INVALID, ERR_VERIFY_NOT_STARTED,
} from "../assembly/status.js";
import { IO_WINDOW_BYTES } from "../assembly/limits.js";

const ED25519_CODES = [OK, ERR_IO_RANGE, ERR_SIGNATURE_INVALID, ERR_SIGNATURE_MALLEABLE, ERR_PUBLIC_KEY_INVALID, ERR_VERIFY_NOT_STARTED];

function fuzzLength(): number {
  const edges = [0, 1, 63, 64, 65, IO_WINDOW_BYTES - 97, IO_WINDOW_BYTES - 96, IO_WINDOW_BYTES - 95, IO_WINDOW_BYTES,
    IO_WINDOW_BYTES + 1, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, -1];
  return Math.random() < 0.5 ? edges[Math.floor(Math.random() * edges.length)]! : Math.floor(Math.random() * 2 ** 32);
}

describe("crypto ABI under arbitrary host input", () => {
  it("answers 5,000 random calls with documented codes, without trapping or growing memory", async () => {
    const agent = await instantiateAgent(refusingFlashPort);
    const x = agent.exports;
    const io = agent.io();
    const calls: Array<() => void> = [
      () => x.sha256_init(),
      () => expect([OK, ERR_IO_RANGE]).toContain(x.sha256_update(fuzzLength())),
      () => expect(x.sha256_final()).toBe(OK),
      () => x.sha512_init(),
      () => expect([OK, ERR_IO_RANGE]).toContain(x.sha512_update(fuzzLength())),
      () => expect(x.sha512_final()).toBe(OK),
      () => expect(ED25519_CODES).toContain(x.ed25519_verify(fuzzLength())),
      () => expect(ED25519_CODES).toContain(x.ed25519_verify_init()),
      () => expect([OK, ERR_IO_RANGE]).toContain(x.ed25519_verify_update(fuzzLength())),
      () => expect(ED25519_CODES).toContain(x.ed25519_verify_final()),
    ];
    for (let i = 0; i < 5000; i++) {
      if (i % 7 === 0) io.set(randomBytes(IO_WINDOW_BYTES));
      else if (i % 11 === 0) io.fill(Math.random() < 0.5 ? 0 : 0xff);
      calls[Math.floor(Math.random() * calls.length)]!();
    }
    expect(agent.memory.buffer.byteLength).toBe(65536);
    // Still correct after all that.
    const data = randomBytes(1000);
    x.sha256_init();
    io.set(data);
    expect(x.sha256_update(data.length)).toBe(OK);
    expect(x.sha256_final()).toBe(OK);
    expect(Buffer.from(io.subarray(0, 32)).toString("hex")).toBe(createHash("sha256").update(data).digest("hex"));
  });
});
