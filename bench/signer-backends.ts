// `npm run bench` (after bench/boot-check.ts): signatures per second of the signing service's key
// backends, each against node:crypto signing directly with the same kind of key, measured
// round by round in the same run (a ratio is the median of per-round ratios, as bench/run.ts):
//
//   Ed25519 / P-256 sign/s   FileSigner (PKCS#8 file)  ÷ node:crypto    the Signer layer's cost
//                            Pkcs11Signer on SoftHSM 2 ÷ node:crypto    what a token costs
//
// SoftHSM runs in this process (pkcs11js, C_SignAsync on libuv's thread pool), so CPU time counts
// its work too. The token is a throwaway one in a temp directory (test/helpers/softhsm.ts).
import crypto from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, loadSigningKey, verifyBytes, type KeyType } from "../tools/format/index.js";
import { FileSigner, Pkcs11Signer, generateTokenKey, type Signer } from "../tools/signer/index.js";
import { createSoftHsm, softHsmAvailable } from "../test/helpers/softhsm.js";
import { describeMachine } from "./machine.js";
import { median, perSecond, perSecondAsync, ratioSpread } from "./measure.js";
import { pinToOneCpu } from "./pin.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const WARMUP_MS = 500;
/** About the size of a serialized targets metadata with a few targets. */
const MESSAGE_BYTES = 512;

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const pinned = pinToOneCpu();
  const machine = describeMachine();
  console.log("airlock signer backends benchmark (signatures per CPU second over a 512-byte message)");
  console.log(`  CPU      ${machine.cpu} (${machine.cores} cores)`);
  console.log(`  Node     ${machine.node}`);
  console.log(`  pinning  ${pinned}`);
  console.log(`  rounds   ${ROUNDS} x ${ROUND_MS} ms per measurement; medians shown\n`);

  const dir = mkdtempSync(join(tmpdir(), "airlock-bench-signer-"));
  const hsm = softHsmAvailable() ? createSoftHsm() : undefined;
  const pin = "bench-pin";
  hsm?.initToken("bench", pin);
  try {
    const message = new Uint8Array(crypto.randomBytes(MESSAGE_BYTES));
    for (const type of ["ed25519", "p256"] as KeyType[]) {
      const { privatePem } = generateKeyPair(type);
      const file = join(dir, `${type}.pem`);
      writeFileSync(file, privatePem, { mode: 0o600 });
      const key = loadSigningKey(file).privateKey;
      const direct = type === "p256"
        ? () => crypto.sign("sha256", message, { key, dsaEncoding: "ieee-p1363" })
        : () => crypto.sign(null, message, key);

      const signers: Signer[] = [new FileSigner(file, "file")];
      if (hsm) {
        generateTokenKey({ module: hsm.module, token: "bench", pin: { file: hsm.pinFile(`${type}.pin`, pin) }, label: type, type });
        signers.push(await Pkcs11Signer.open({ module: hsm.module, token: "bench", pin: { file: join(hsm.dir, `${type}.pin`) }, label: type, name: "SoftHSM 2" }));
      }
      for (const signer of signers) {
        if (!verifyBytes(signer.publicKey.raw, message, await signer.sign(message))) throw new Error(`${signer.name} ${type} signature does not verify`);
      }

      perSecond(direct, WARMUP_MS);
      for (const signer of signers) await perSecondAsync(() => signer.sign(message), WARMUP_MS);
      const reference: number[] = [];
      const rates = signers.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        reference.push(perSecond(direct, ROUND_MS));
        for (const [i, signer] of signers.entries()) rates[i]!.push(await perSecondAsync(() => signer.sign(message), ROUND_MS));
      }

      const label = type === "p256" ? "ECDSA P-256" : "Ed25519";
      console.log(`  ${label} sign/s`);
      console.log(`    ${"node:crypto (OpenSSL), directly".padEnd(36)} ${fmt(median(reference)).padStart(9)}`);
      for (const [i, signer] of signers.entries()) {
        const spread = ratioSpread(rates[i]!, reference);
        const what = signer instanceof FileSigner ? "FileSigner (PKCS#8 file)" : "Pkcs11Signer (SoftHSM 2 token)";
        console.log(`    ${what.padEnd(36)} ${fmt(median(rates[i]!)).padStart(9)}   ${fmt(spread.median, 2)} x node:crypto (rounds ${fmt(spread.min, 2)}..${fmt(spread.max, 2)})`);
        signer.close();
      }
      if (!hsm) console.log("    Pkcs11Signer (SoftHSM 2 token)       not measured: softhsm2 is not installed (apt-get install softhsm2)");
      console.log();
    }
  } finally {
    hsm?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
