// The signing service (DESIGN.md: tools/signer/): its hash-chained audit log and its key backends
// behind one Signer interface (PKCS#8 files; PKCS#11 tokens, with key generation on the token);
// policy, ledger and the HTTP API come next (issue 13).
export { AuditLog, GENESIS, entryHash, verifyAuditText, type AuditEntry, type AuditFacts, type AuditVerdict } from "./audit-log.js";
export { SIGNATURE_BYTES, signatureBy, type Signer } from "./backends/signer.js";
export { FileSigner } from "./backends/file-signer.js";
export { Pkcs11Signer, CKM_EDDSA, type Pkcs11SignerConfig } from "./backends/pkcs11-signer.js";
export { readPin, describePinSource, type PinSource } from "./backends/pin.js";
export { DEFAULT_PKCS11_MODULE, TokenSession, listTokens, pkcs11js, type TokenConfig } from "./backends/token.js";
export { CKK_EC_EDWARDS, findKeyPair, findObjects, listKeyPairs, type TokenKeyPair, type TokenKeyListing } from "./backends/token-keys.js";
export { CKM_EC_EDWARDS_KEY_PAIR_GEN, generateTokenKey, type GeneratedTokenKey, type TokenKeygenConfig } from "./backends/token-keygen.js";
export { ED25519_OID_DER, P256_OID_DER, ecParamsOf, ecPointOf, keyTypeOfEcParams, rawPointOf } from "./backends/ec-der.js";
