// The signing service (DESIGN.md: tools/signer/): its hash-chained audit log so far; Signer
// backends, policy, ledger and the HTTP API come next (issue 13).
export { AuditLog, GENESIS, entryHash, verifyAuditText, type AuditEntry, type AuditFacts, type AuditVerdict } from "./audit-log.js";
export { processQueueOnce, watchQueue, pendingRequests, type QueueOptions, type QueueWatcher, type PigweedSigningRequest, type JobResult, type JobOutcome, type BuilderPublicKey } from "./pigweed-queue.js";
