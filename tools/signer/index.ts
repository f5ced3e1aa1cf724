// The signing service (DESIGN.md: tools/signer/): its policy, tokens, state (SQLite), keys,
// endorsement checks, qualification records, decisions, HTTP API and client, Pigweed's
// remote-sign queue, the key backends behind one Signer (PKCS#8 files, PKCS#11 tokens), and the
// hash-chained audit log.
export { AuditLog, GENESIS, entryHash, verifyAuditText, type AuditEntry, type AuditFacts, type AuditVerdict } from "./audit-log.js";
export { loadPolicy, grantFor, PolicyError, type Policy, type KeyConfig, type KeyClass, type Pkcs11KeyConfig, type Grant, type Role } from "./policy.js";
export { createToken, identityOfToken, newToken, tokenSha256, readClientToken, readTokenHashes, requirePrivateFile, type TokenHashes } from "./tokens.js";
export { SignerState } from "./state.js";
export { openKeyring, openPkcs11Key, type Pkcs11Opener, type ServiceKey } from "./keyring.js";
export { QUALIFICATION_PAYLOAD_TYPE, missingQualification, parseQualificationFile, signQualification, type QualificationRecord } from "./qualification.js";
export { Refusal, SigningService, rootSummary, type Outcome, type RootRequest, type TargetsRequest } from "./service.js";
export { serveSigner, signerApp } from "./http.js";
export { SignerClient, type RemoteOutcome } from "./client.js";
export { processQueueOnce, watchQueue, pendingRequests, type QueueOptions, type QueueWatcher, type PigweedSigningRequest, type JobResult, type JobOutcome, type BuilderPublicKey } from "./pigweed-queue.js";
export { pigweedQueueSigner } from "./pigweed-signing.js";
export { SIGNATURE_BYTES, signatureBy, type Signer } from "./backends/signer.js";
export { FileSigner } from "./backends/file-signer.js";
export { Pkcs11Signer, CKM_EDDSA, type Pkcs11SignerConfig } from "./backends/pkcs11-signer.js";
export { readPin, describePinSource, type PinSource } from "./backends/pin.js";
export { DEFAULT_PKCS11_MODULE, TokenSession, listTokens, pkcs11js, type TokenConfig } from "./backends/token.js";
export { CKK_EC_EDWARDS, findKeyPair, findObjects, listKeyPairs, type TokenKeyPair, type TokenKeyListing } from "./backends/token-keys.js";
export { CKM_EC_EDWARDS_KEY_PAIR_GEN, generateTokenKey, type GeneratedTokenKey, type TokenKeygenConfig } from "./backends/token-keygen.js";
export { ED25519_OID_DER, P256_OID_DER, ecParamsOf, ecPointOf, keyTypeOfEcParams, rawPointOf } from "./backends/ec-der.js";
