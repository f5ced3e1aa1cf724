// Provenance (tools/build/): DSSE envelopes over in-toto Statement v1 / SLSA Provenance v1,
// signed by a builder key. PAE against the DSSE specification's own example, signatures against
// node:crypto (OpenSSL) verifying the PAE bytes independently, and every refusal the signer will
// rely on: unknown builder, changed payload, other payload type, one key counted twice, and
// provenance for other bytes.
import { afterAll, describe, expect, it } from "vitest";
import { createPublicKey, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, loadPublicKey, loadSigningKey, InputError, RejectedError, type KeyType } from "../tools/format/index.js";
import {
  IN_TOTO_PAYLOAD_TYPE, pae, parseEnvelope, provenanceStatement, signEnvelope, signProvenance, unmatchedSubjects, verifyEnvelope, verifyProvenance,
} from "../tools/build/index.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-provenance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function keyPair(type: KeyType) {
  const { privatePem, publicPem } = generateKeyPair(type);
  const path = join(dir, `k${n++}`);
  writeFileSync(path, privatePem);
  writeFileSync(`${path}.pub`, publicPem);
  return { signing: loadSigningKey(path), public: loadPublicKey(`${path}.pub`), publicPem };
}

const subjects = [
  { name: "app", digest: { sha256: "a".repeat(64) } },
  { name: "targets_metadata", digest: { sha256: "b".repeat(64) } },
];
const statement = provenanceStatement({
  subjects,
  builderId: "https://ci.example.com/builders/firmware",
  description: { path: "product.yaml", sha256: "c".repeat(64) },
  product: "thermostat",
  buildType: "user",
  sourceRevision: { uri: "git+https://example.com/fw.git", commit: "d".repeat(40) },
  startedOn: new Date("2026-12-07T09:00:00Z"),
  finishedOn: new Date("2026-12-07T09:01:00Z"),
  invocationId: "build-42",
});

describe("DSSE", () => {
  it("pre-authentication encoding matches the DSSE specification's example", () => {
    expect(Buffer.from(pae("http://example.com/HelloWorld", Buffer.from("hello world"))).toString()).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
    expect(Buffer.from(pae("t", new Uint8Array(0))).toString()).toBe("DSSEv1 1 t 0 ");
    // Lengths are bytes, not characters.
    expect(Buffer.from(pae("é", Buffer.from("ü"))).toString()).toBe("DSSEv1 2 é 2 ü");
  });

  for (const type of ["ed25519", "p256"] as const) {
    it(`a ${type} builder signature verifies here and under OpenSSL over the PAE bytes`, () => {
      const builder = keyPair(type);
      const envelope = signProvenance(statement, builder.signing);
      expect(verifyProvenance(envelope, [builder.public])).toEqual(statement);
      const payload = Buffer.from(envelope.payload, "base64");
      const sig = Buffer.from(envelope.signatures[0]!.sig, "base64");
      const key = createPublicKey(builder.publicPem);
      const message = pae(IN_TOTO_PAYLOAD_TYPE, payload);
      const ok = type === "p256" ? verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, sig) : verify(null, message, key, sig);
      expect(ok).toBe(true);
      // The payload alone (without PAE) is not what was signed.
      const bare = type === "p256" ? verify("sha256", payload, { key, dsaEncoding: "ieee-p1363" }, sig) : verify(null, payload, key, sig);
      expect(bare).toBe(false);
    });
  }

  it("refuses an unknown builder, a changed payload and another payload type", () => {
    const builder = keyPair("ed25519");
    const stranger = keyPair("ed25519");
    const envelope = signProvenance(statement, builder.signing);
    expect(() => verifyProvenance(envelope, [stranger.public])).toThrow(/unknown builder/);
    const changed = { ...statement, subject: [{ name: "app", digest: { sha256: "e".repeat(64) } }] };
    const swapped = { ...envelope, payload: Buffer.from(JSON.stringify(changed)).toString("base64") };
    expect(() => verifyProvenance(swapped, [builder.public])).toThrow(RejectedError);
    expect(() => verifyEnvelope({ ...envelope, payloadType: "application/json" }, IN_TOTO_PAYLOAD_TYPE, [builder.public])).toThrow(/payloadType/);
    // Signed as another type, then relabelled: PAE binds the type, so the signature fails.
    const other = signEnvelope("application/json", Buffer.from(JSON.stringify(statement)), [builder.signing]);
    expect(() => verifyProvenance({ ...other, payloadType: IN_TOTO_PAYLOAD_TYPE }, [builder.public])).toThrow(RejectedError);
  });

  it("counts one key once toward a threshold, however often it signed", () => {
    const a = keyPair("ed25519");
    const b = keyPair("p256");
    const once = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from("{}"), [a.signing]);
    const twice = { ...once, signatures: [once.signatures[0]!, once.signatures[0]!] };
    expect(() => verifyEnvelope(twice, IN_TOTO_PAYLOAD_TYPE, [a.public, b.public], 2)).toThrow(/1 valid signature/);
    const both = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from("{}"), [a.signing, b.signing]);
    expect(verifyEnvelope(both, IN_TOTO_PAYLOAD_TYPE, [a.public, b.public], 2).signedBy).toHaveLength(2);
  });

  it("names the subjects whose bytes differ from what provenance endorsed", () => {
    expect(unmatchedSubjects(statement, subjects)).toEqual([]);
    expect(unmatchedSubjects(statement, [{ name: "app", digest: { sha256: "f".repeat(64) } }, subjects[1]!])).toEqual(["app"]);
    expect(unmatchedSubjects(statement, [{ name: "file1", digest: { sha256: "a".repeat(64) } }])).toEqual(["file1"]);
  });

  it("the statement is in-toto v1 with a SLSA v1 predicate naming the builder, description and source", () => {
    expect(statement._type).toBe("https://in-toto.io/Statement/v1");
    expect(statement.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(statement.predicate.runDetails.builder.id).toBe("https://ci.example.com/builders/firmware");
    expect(statement.predicate.buildDefinition.externalParameters).toMatchObject({ description: { digest: { sha256: "c".repeat(64) } } });
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([{ uri: "git+https://example.com/fw.git", digest: { gitCommit: "d".repeat(40) } }]);
  });

  it("refuses malformed envelopes as input errors", () => {
    expect(() => parseEnvelope("not json", "prov.json")).toThrow(InputError);
    expect(() => parseEnvelope('{"payloadType": "x"}', "prov.json")).toThrow(/not a DSSE envelope/);
    expect(() => parseEnvelope('{"payloadType": "x", "payload": "@@", "signatures": []}', "prov.json")).toThrow(/not base64/);
    expect(() => parseEnvelope('{"payloadType": "x", "payload": "", "signatures": [{"keyid": 1}]}', "prov.json")).toThrow(/keyid and sig/);
  });
});
