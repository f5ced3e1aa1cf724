// The signing service (DESIGN.md: tools/signer/): its hash-chained audit log so far; Signer
// backends, policy, ledger and the HTTP API come next (issue 13).
export { AuditLog, GENESIS, entryHash, verifyAuditText, type AuditEntry, type AuditFacts, type AuditVerdict } from "./audit-log.js";
