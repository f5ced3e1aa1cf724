// Qualification records: a qualifier (the release system's test runs on the simulator and the
// boards) states that one build, named by the SHA-256 of its serialized targets metadata, passed
// one suite; the statement travels in a DSSE envelope signed by the qualifier key. Production
// signing requires a passing record for every suite the policy lists, each signed by a listed
// qualifier, each for exactly the bytes about to be signed.
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from "../build/index.js";
import { RejectedError, type PublicKey, type SigningKey } from "../format/index.js";

export const QUALIFICATION_PAYLOAD_TYPE = "application/vnd.airlock.qualification+json";

export interface QualificationRecord {
  product: string;
  /** SHA-256 (hex) of the serialized targets metadata the suite ran. */
  targetsMetadataSha256: string;
  suite: string;
  result: "pass" | "fail";
  /** Where the run's logs are. */
  details?: string;
}

export function signQualification(record: QualificationRecord, qualifierKey: SigningKey): DsseEnvelope {
  return signEnvelope(QUALIFICATION_PAYLOAD_TYPE, Buffer.from(JSON.stringify(record)), [qualifierKey]);
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
