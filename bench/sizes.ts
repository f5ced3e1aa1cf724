// Code and memory footprint: build/agent.wasm as shipped, and a crypto-only module compiled with
// the same release options from the same sources (the crypto test surface alone), which is the
// crypto's share of the agent.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readMemoryLayout } from "../test/helpers/wasm-layout.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const build = (file: string) => `${root}build/${file}`;

// The crypto test surface of assembly/index.ts, standing alone; static_end() reports the first
// byte after all static data (AssemblyScript's __heap_base), I/O window included.
const CRYPTO_ONLY_ENTRY = `
import { IO_WINDOW_BYTES } from "../assembly/limits";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "../assembly/crypto/sha256";
import { SHA512_CTX_BYTES, sha512Init, sha512Update, sha512Final } from "../assembly/crypto/sha512";
import { ED25519_VERIFY_CTX_BYTES, ed25519Verify, ed25519VerifyInit, ed25519VerifyUpdate, ed25519VerifyFinal } from "../assembly/crypto/ed25519";
const io: usize = memory.data(IO_WINDOW_BYTES, 16);
const s256: usize = memory.data(SHA256_CTX_BYTES, 8);
const s512: usize = memory.data(SHA512_CTX_BYTES, 8);
const ed: usize = memory.data(ED25519_VERIFY_CTX_BYTES, 8);
export function io_ptr(): usize { return io; }
export function static_end(): usize { return __heap_base; }
export function sha256_init(): void { sha256Init(s256); }
export function sha256_update(len: u32): i32 { if (len > <u32>IO_WINDOW_BYTES) return -1; sha256Update(s256, io, len); return 0; }
export function sha256_final(): i32 { sha256Final(s256, io); return 0; }
export function sha512_init(): void { sha512Init(s512); }
export function sha512_update(len: u32): i32 { if (len > <u32>IO_WINDOW_BYTES) return -1; sha512Update(s512, io, len); return 0; }
export function sha512_final(): i32 { sha512Final(s512, io); return 0; }
export function ed25519_verify(len: u32): i32 { if (len > <u32>IO_WINDOW_BYTES - 96) return -1; return ed25519Verify(io, io + 32, io + 96, len); }
export function ed25519_verify_init(): i32 { return ed25519VerifyInit(ed, io, io + 32); }
export function ed25519_verify_update(len: u32): i32 { if (len > <u32>IO_WINDOW_BYTES) return -1; ed25519VerifyUpdate(ed, io, len); return 0; }
export function ed25519_verify_final(): i32 { return ed25519VerifyFinal(ed); }
`;

export interface Sizes {
  agentBytes: number;
  /** build/agent-link.wasm: the agent plus Pigweed's wire protocol (assembly/link/). */
  linkBytes: number;
  linkStaticBytes: number | undefined;
  agentStaticBytes: number | undefined;
  cryptoBytes: number;
  cryptoStaticBytes: number;
}

export async function measureSizes(): Promise<Sizes> {
  writeFileSync(build("crypto-only.entry.ts"), CRYPTO_ONLY_ENTRY);
  execFileSync(`${root}node_modules/.bin/asc`, [
    build("crypto-only.entry.ts"), "-o", build("crypto-only.wasm"),
    "--optimizeLevel", "3", "--shrinkLevel", "0", "--converge", "--noAssert",
    "--runtime", "stub", "--initialMemory", "1", "--maximumMemory", "1", "--use", "abort=",
  ], { cwd: build(""), stdio: ["ignore", "ignore", "pipe"] }); // not the root: asc would add asconfig.json's entries; stderr is in the error if it fails
  const crypto = await WebAssembly.instantiate(readFileSync(build("crypto-only.wasm")), {});
  const staticEnd = (crypto.instance.exports.static_end as () => number)();
  let agentStaticBytes: number | undefined;
  try {
    // The debug build keeps zero-filled segments, so its data end is the end of static memory.
    agentStaticBytes = readMemoryLayout(readFileSync(build("agent.debug.wasm"))).dataEnd;
  } catch { /* reported as unknown */ }
  let linkStaticBytes: number | undefined;
  try {
    linkStaticBytes = readMemoryLayout(readFileSync(build("agent-link.debug.wasm"))).dataEnd;
  } catch { /* reported as unknown */ }
  return {
    agentBytes: statSync(build("agent.wasm")).size,
    linkBytes: statSync(build("agent-link.wasm")).size,
    linkStaticBytes,
    agentStaticBytes,
    cryptoBytes: statSync(build("crypto-only.wasm")).size,
    cryptoStaticBytes: staticEnd,
  };
}
