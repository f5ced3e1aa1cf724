// OpenSSL's SHA-256 in a child process, with or without the SHA extensions (SHA-NI).
//
// OPENSSL_ia32cap="~0x20000000:~0x20000000" clears bit 29 of both capability words; in the
// second word (CPUID leaf 7 EBX) bit 29 is SHA, so OpenSSL falls back to its best software
// SHA-256 (SSSE3/AVX/AVX2 with BMI). Whether the mask took effect is checked two ways:
// `openssl info -cpusettings` must show the SHA bit clear under the mask, and on a CPU with
// SHA-NI the masked run must be clearly slower than the unmasked one.
import { execFileSync } from "node:child_process";

export const SHA_NI_MASK = "~0x20000000:~0x20000000";
const SHA_BIT = 1 << 29;

function opensslEnv(masked: boolean): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENSSL_ia32cap;
  if (masked) env.OPENSSL_ia32cap = SHA_NI_MASK;
  return env;
}

/**
 * MB/s (10^6 bytes) of `openssl speed -evp sha256` on 16 KiB blocks for `seconds`, per second of
 * user CPU time (openssl speed's default divisor; the in-process figures use CPU time too).
 */
export function opensslSha256MBps(masked: boolean, seconds: number): number {
  const out = execFileSync("openssl", ["speed", "-evp", "sha256", "-bytes", "16384", "-seconds", String(seconds)], {
    env: opensslEnv(masked), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"],
  });
  // The last line reads "sha256   739173.63k": thousands of bytes per second for that block size.
  const match = /^sha256\s+([\d.]+)k\s*$/m.exec(out);
  if (!match) throw new Error(`cannot parse openssl speed output:\n${out}`);
  return Number(match[1]) / 1000;
}

/** Whether OpenSSL, run with the mask, sees the SHA extension bit clear (undefined: cannot tell). */
export function maskClearsShaBit(): { masked: boolean | undefined; unmaskedHasSha: boolean | undefined } {
  const capability = (masked: boolean): number | undefined => {
    try {
      const out = execFileSync("openssl", ["info", "-cpusettings"], { env: opensslEnv(masked), encoding: "utf8" });
      // OPENSSL_ia32cap=0x<word 0>:0x<word 1> — word 1's low 32 bits are CPUID(7).EBX.
      const m = /OPENSSL_ia32cap=0x[0-9a-f]+:0x([0-9a-f]+)/i.exec(out);
      return m ? Number(BigInt(`0x${m[1]}`) & 0xffffffffn) : undefined;
    } catch {
      return undefined;
    }
  };
  const withMask = capability(true);
  const without = capability(false);
  return {
    masked: withMask === undefined ? undefined : (withMask & SHA_BIT) === 0,
    unmaskedHasSha: without === undefined ? undefined : (without & SHA_BIT) !== 0,
  };
}
