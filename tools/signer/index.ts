// The signing service (DESIGN.md: tools/signer/): its policy, tokens, state (SQLite), keys,
// endorsement checks, qualification records, decisions, HTTP API and client, Pigweed's
// remote-sign queue, and the hash-chained audit log.
export { AuditLog, GENESIS, entryHash, verifyAuditText, type AuditEntry, type AuditFacts, type AuditVerdict } from "./audit-log.js";
export { loadPolicy, grantFor, PolicyError, type Policy, type KeyConfig, type KeyClass, type Pkcs11KeyConfig, type Grant, type Role } from "./policy.js";
export { createToken, identityOfToken, readClientToken, readTokenHashes, requirePrivateFile, type TokenHashes } from "./tokens.js";
export { SignerState } from "./state.js";
export { fileSigner, openKeyring, type KeySigner, type Pkcs11Opener, type ServiceKey } from "./keyring.js";
export { QUALIFICATION_PAYLOAD_TYPE, missingQualification, signQualification, type QualificationRecord } from "./qualification.js";
export { Refusal, SigningService, rootSummary, type Outcome, type RootRequest, type TargetsRequest } from "./service.js";
export { serveSigner, signerApp } from "./http.js";
export { SignerClient, type RemoteOutcome } from "./client.js";
export { processQueueOnce, watchQueue, pendingRequests, type QueueOptions, type QueueWatcher, type PigweedSigningRequest, type JobResult, type JobOutcome, type BuilderPublicKey } from "./pigweed-queue.js";
export { pigweedQueueSigner } from "./pigweed-signing.js";
