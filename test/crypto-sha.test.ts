// SHA-256 and SHA-512 in the agent: NIST vectors, every chunking against node:crypto (and
// @chainsafe/as-sha256's one-shot digest), and the I/O window's length checks.
import { describe, expect, it, beforeAll } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { digest as asSha256Digest } from "@chainsafe/as-sha256";
import { instantiateAgent, loadAgent, refusingFlashPort, type AgentCrypto, type AgentInstance } from "../host-sim/index.js";
import { OK, ERR_IO_RANGE } from "../assembly/status.js";
import { IO_WINDOW_BYTES } from "../assembly/limits.js";

interface NistVector { message: { ascii: string; repeat?: number }; sha256?: string; sha512?: string }
const nist = JSON.parse(readFileSync(new URL("./vectors/sha2-nist.json", import.meta.url), "utf8")) as { vectors: NistVector[] };

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const nodeDigest = (alg: "sha256" | "sha512", data: Uint8Array) => createHash(alg).update(data).digest("hex");

type Alg = "sha256" | "sha512";

/** Hashes data in the agent, feeding update() the chunk sizes `chunks` yields, in turn. */
function agentDigestChunked(agent: AgentInstance, alg: Alg, data: Uint8Array, nextChunk: () => number): string {
  const x = agent.exports;
  const [init, update, final, size] = alg === "sha256"
    ? [x.sha256_init, x.sha256_update, x.sha256_final, 32]
    : [x.sha512_init, x.sha512_update, x.sha512_final, 64];
  const io = agent.io();
  init();
  for (let at = 0; at < data.length;) {
    const n = Math.min(nextChunk(), data.length - at);
    io.set(data.subarray(at, at + n));
    expect(update(n)).toBe(OK);
    at += n;
  }
  expect(final()).toBe(OK);
  return hex(io.slice(0, size));
}

let agent: AgentInstance;
let crypto: AgentCrypto;
beforeAll(async () => {
  agent = await instantiateAgent(refusingFlashPort);
  crypto = await loadAgent();
});

describe("SHA-2 NIST vectors", () => {
  for (const v of nist.vectors) {
    const text = v.message.ascii.repeat(v.message.repeat ?? 1);
    const label = `${JSON.stringify(v.message.ascii.slice(0, 12))}${v.message.repeat ? ` x${v.message.repeat}` : ""}`;
    const data = new TextEncoder().encode(text);
    if (v.sha256) it(`SHA-256 of ${label} matches FIPS 180-2`, () => {
      expect(hex(crypto.sha256(data))).toBe(v.sha256);
      expect(nodeDigest("sha256", data)).toBe(v.sha256);
    });
    if (v.sha512) it(`SHA-512 of ${label} matches FIPS 180-2`, () => {
      expect(hex(crypto.sha512(data))).toBe(v.sha512);
      expect(nodeDigest("sha512", data)).toBe(v.sha512);
    });
  }
});

describe("SHA-2 streaming gives the same digest under every chunking", () => {
  // Lengths around both block sizes and their padding boundaries, plus multi-window messages.
  const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 111, 112, 113, 127, 128, 129, 191, 255, 256, 257, 1000, 4095, 4096, 4097, 9000, 20000];
  const chunkings: [string, () => () => number][] = [
    ...[1, 63, 64, 65, 127, 128, 129, 4096].map((n): [string, () => () => number] => [`${n}-byte`, () => () => n]),
    ["random (1..4096)", () => () => 1 + Math.floor(Math.random() * IO_WINDOW_BYTES)],
    ["random small (0..200, empty updates included)", () => () => Math.floor(Math.random() * 201)],
  ];
  for (const alg of ["sha256", "sha512"] as const) {
    for (const [name, makeChunker] of chunkings) {
      it(`${alg} with ${name} chunks matches node:crypto${alg === "sha256" ? " and @chainsafe/as-sha256" : ""}`, () => {
        for (const len of lengths) {
          const data = randomBytes(len);
          const chunker = makeChunker();
          // Guard against an endless loop on a 0-byte chunker: a zero chunk is legal but must not
          // be the only thing we ever feed.
          let zeros = 0;
          const next = () => { const n = chunker(); if (n === 0 && ++zeros > 1000) return 1; return n; };
          const digest = agentDigestChunked(agent, alg, data, next);
          expect(digest, `${alg} len ${len}`).toBe(nodeDigest(alg, data));
          // A second, independent reference (its one-shot digest: its streaming API mishandles
          // unaligned chunks, so it is not used chunked).
          if (alg === "sha256") expect(digest, `as-sha256 len ${len}`).toBe(hex(asSha256Digest(data)));
        }
      });
    }
  }

  it("sha256 agrees with @chainsafe/as-sha256's one-shot digest", () => {
    for (let len = 0; len < 300; len += 7) {
      const data = randomBytes(len);
      expect(hex(crypto.sha256(data))).toBe(hex(asSha256Digest(data)));
    }
  });

  it("hashes a 1 MiB message streamed through the window by the host wrapper", () => {
    const data = randomBytes(1 << 20);
    expect(hex(crypto.sha256(data))).toBe(nodeDigest("sha256", data));
    expect(hex(crypto.sha512(data))).toBe(nodeDigest("sha512", data));
  });
});

describe("SHA-2 test surface refuses lengths beyond the I/O window", () => {
  for (const alg of ["sha256", "sha512"] as const) {
    it(`${alg}_update returns ERR_IO_RANGE for a length past the window and hashes nothing`, () => {
      const x = agent.exports;
      const [init, update, final, size] = alg === "sha256"
        ? [x.sha256_init, x.sha256_update, x.sha256_final, 32]
        : [x.sha512_init, x.sha512_update, x.sha512_final, 64];
      const data = randomBytes(100);
      const io = agent.io();
      init();
      io.set(data);
      expect(update(IO_WINDOW_BYTES + 1)).toBe(ERR_IO_RANGE);
      expect(update(0xffffffff)).toBe(ERR_IO_RANGE);
      expect(update(-1)).toBe(ERR_IO_RANGE); // the same u32 as seen from JS
      io.set(data);
      expect(update(100)).toBe(OK);
      expect(final()).toBe(OK);
      expect(hex(io.slice(0, size))).toBe(nodeDigest(alg, data));
      expect(agent.memory.buffer.byteLength).toBe(65536);
    });
  }
  it("accepts exactly a full window", () => {
    const data = randomBytes(IO_WINDOW_BYTES);
    expect(agentDigestChunked(agent, "sha256", data, () => IO_WINDOW_BYTES)).toBe(nodeDigest("sha256", data));
  });
});
