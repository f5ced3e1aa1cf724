// Qualification records: a qualifier (the release system's test runs on the simulator and the
// boards) states that one build, named by the SHA-256 of its serialized targets metadata, passed
// one suite; the statement travels in a DSSE envelope signed by the qualifier key. Production
// signing requires a passing record for every suite the policy lists, each signed by a listed
// qualifier, each for exactly the bytes about to be signed.
import { parseEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope } from "../build/index.js";
import { InputError, RejectedError, type PublicKey, type SigningKey } from "../format/index.js";

export const QUALIFICATION_PAYLOAD_TYPE = "application/vnd.airlock.qualification+json";

export interface QualificationRecord {
  product: string;
  /** SHA-256 (hex) of the serialized targets metadata the suite ran. */
  targetsMetadataSha256: string;
  suite: string;
  result: "pass" | "fail";
  /** What the run checked and found, or where its logs are. */
  details?: string;
  /** The boards (or QEMU machines) the suite ran on; it passed only if it passed on every one. */
  boards?: string[];
  /** SHA-256 (hex) of the whole bundle file the suite installed. */
  bundleSha256?: string;
  /** SHA-256 (hex) of the agent build the suite ran (build/agent.wasm, build/agent-link.wasm). */
  agentSha256?: string;
  /** When the suite ran (ISO 8601). */
  qualifiedAt?: string;
}

export function signQualification(record: QualificationRecord, qualifierKey: SigningKey): DsseEnvelope {
  return signEnvelope(QUALIFICATION_PAYLOAD_TYPE, Buffer.from(JSON.stringify(record)), [qualifierKey]);
}

/**
 * The envelopes of a qualification file: one DSSE envelope, or a JSON array of them (what
 * `airlock release qualify -o` writes). InputError naming `what` for anything else.
 */
export function parseQualificationFile(text: string, what: string): DsseEnvelope[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${what} is not JSON (${(err as Error).message}): expected a DSSE envelope or an array of them (airlock release qualify -o)`);
  }
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => parseEnvelope(JSON.stringify(item), Array.isArray(value) ? `${what} entry ${i + 1}` : what));
}

/**
 * The suites (of `required`) that have no passing record for this product and digest among the
 * envelopes, counting only envelopes a listed qualifier signed. Empty: qualified.
 */
export function missingQualification(envelopes: DsseEnvelope[], qualifiers: PublicKey[], required: string[], product: string, digest: string): string[] {
  const passed = new Set<string>();
  for (const envelope of envelopes) {
    let record: QualificationRecord;
    try {
      record = JSON.parse(Buffer.from(verifyEnvelope(envelope, QUALIFICATION_PAYLOAD_TYPE, qualifiers).payload).toString("utf8")) as QualificationRecord;
    } catch (err) {
      if (err instanceof RejectedError || err instanceof SyntaxError) continue; // unsigned, other signer or not JSON: counts for nothing
      throw err;
    }
    if (record.product === product && record.targetsMetadataSha256 === digest && record.result === "pass") passed.add(record.suite);
  }
  return required.filter((suite) => !passed.has(suite));
}
