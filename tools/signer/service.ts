// The signing service's decisions, independent of HTTP: a targets signing request (test or
// production key), a root signing request (root keys, always M-of-N approvers), an approval, and
// a request's status. The order of checks on a targets request is fixed:
//   freshness (expiry) -> idempotency (same ID, same body: the stored outcome) -> nonce (replay)
//   -> key, role, product, grant -> bundle and hardware -> provenance (production: always)
//   -> production: user build, re-run rules from the store, version above the ledger,
//      qualification records -> approvals -> sign.
// Every decision is one audit entry. Everything up to the signature is synchronous, so within the
// service's one process no two requests interleave between a check and its reservation.
import { createHash, createPublicKey } from "node:crypto";
import {
  AirlockError, attachBundleSignature, attachRootSignature, hex, inspectRoot, loadPublicKey, parseBundle, parseRoot, readInput, RejectedError,
  type ParsedBundle, type PublicKey,
} from "../format/index.js";
import type { DsseEnvelope } from "../build/index.js";
import { ArtifactStore } from "../store/index.js";
import { AuditLog, type AuditFacts } from "./audit-log.js";
import { checkProvenance, listedSha256, recheckBuild, type TrustedBuilder } from "./endorsement.js";
import type { ServiceKey } from "./keyring.js";
import { grantFor, type BuildType, type Policy, type Role } from "./policy.js";
import { missingQualification } from "./qualification.js";
import { SignerState, type RequestKind, type RequestRow } from "./state.js";

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

interface Freshness {
  requestId: string;
  nonce: string;
  /** ISO 8601; the request is refused after it, and when it lies too far ahead. */
  expiresAt: string;
}

export interface TargetsRequest extends Freshness {
  key: string;
  product: string;
  /** Needed without provenance; with it, must agree. */
  buildType?: BuildType;
  bundle: Uint8Array;
  provenance?: DsseEnvelope;
  qualification?: DsseEnvelope[];
  /** Production keys: sign under the policy's emergency rule (its suites and approvals) instead of the normal one. */
  emergency?: boolean;
}

export interface RootRequest extends Freshness {
  key: string;
  root: Uint8Array;
}

export interface Outcome {
  requestId: string;
  kind: RequestKind;
  status: "pending" | "signing" | "signed" | "refused";
  key: string;
  product: string;
  digest: string;
  reason?: string;
  approvals: string[];
  needed: number;
  /** What approvers are shown, in plain words. */
  summary: string[];
  /** The signed file (signed requests). */
  file?: Uint8Array;
}

/** A refusal with the HTTP status that says which kind. */
export class Refusal extends RejectedError {
  constructor(message: string, readonly status: 401 | 403 | 404 | 409 = 403) {
    super(message);
  }
}

export interface ServiceOptions {
  policy: Policy;
  keys: Map<string, ServiceKey>;
  /** The board's slot size per target (for re-running the rules). */
  slotsOf(board: string): Record<string, number>;
  now?: () => Date;
}

export class SigningService {
  readonly state: SignerState;
  readonly audit: AuditLog;
  private readonly policy: Policy;
  private readonly keys: Map<string, ServiceKey>;
  private readonly builders: TrustedBuilder[];
  private readonly qualifiers: PublicKey[];
  private readonly store?: ArtifactStore;
  private readonly now: () => Date;
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly builderFingerprints = new Map<string, string>();

  constructor(private readonly options: ServiceOptions) {
    this.policy = options.policy;
    this.keys = options.keys;
    this.now = options.now ?? (() => new Date());
    // Builder keys sign provenance (Ed25519 or P-256, DSSE) or, for Pigweed's remote-sign queue,
    // requests (Ed25519 or RSA); every listed key is known by its SPKI fingerprint.
    this.builders = [];
    for (const [name, b] of Object.entries(this.policy.builders)) {
      const key = createPublicKey(Buffer.from(readInput(b.publicKey, `builder ${name}'s public key`)));
      this.builderFingerprints.set(sha256Hex(key.export({ format: "der", type: "spki" })), name);
      if (key.asymmetricKeyType !== "rsa") this.builders.push({ name, id: b.id, key: loadPublicKey(b.publicKey) });
    }
    this.qualifiers = Object.values(this.policy.qualifiers).map((q) => loadPublicKey(q.publicKey));
    this.store = this.policy.service.store === undefined ? undefined : new ArtifactStore(this.policy.service.store);
    this.state = new SignerState(this.policy.service.state);
    this.audit = new AuditLog(this.policy.service.audit, this.now);
    const head = this.state.getMeta("audit_head");
    if (head !== undefined && head !== this.audit.headHash) {
      throw new AirlockError(`the audit log ${this.policy.service.audit} ends at ${this.audit.headHash}, but the service last wrote ${head}: entries were cut off its end; keep it as evidence`, 1);
    }
  }

  /** The listed builder whose key has this SPKI fingerprint (SHA-256 hex), if any. */
  builderNamed(fingerprint: string): string | undefined {
    return this.builderFingerprints.get(fingerprint);
  }

  close(): void {
    this.state.close();
    for (const key of this.keys.values()) key.signer.close();
  }

  private roles(identity: string): Role[] {
    return this.policy.identities[identity]?.roles ?? [];
  }

  private record(facts: AuditFacts): void {
    const entry = this.audit.append(facts);
    this.state.setMeta("audit_head", entry.hash);
  }

  /** Refuses a request that was never stored (it failed before a row could describe it). */
  private refuseUnstored(identity: string, request: { requestId?: string; key?: string; product?: string }, digest: string, reason: string, status: 401 | 403 | 409 = 403): never {
    this.record({ requestId: request.requestId ?? "", identity, key: request.key ?? "", product: request.product ?? "", digest, decision: "refused", reason });
    throw new Refusal(reason, status);
  }

  /** Audits an unauthenticated call (no identity: the token matched nobody). */
  unauthenticated(route: string): void {
    this.record({ requestId: "", identity: "(unauthenticated)", key: "", product: "", digest: "", decision: "refused", reason: `no valid bearer token for ${route}` });
  }

  private checkFreshness(identity: string, request: Freshness & { key?: string; product?: string }, digest: string): void {
    const expires = Date.parse(request.expiresAt);
    const now = this.now().getTime();
    if (!Number.isFinite(expires)) this.refuseUnstored(identity, request, digest, `expiresAt ${JSON.stringify(request.expiresAt)} is not an ISO 8601 time`);
    if (expires <= now) this.refuseUnstored(identity, request, digest, `the request expired at ${request.expiresAt}; make a new one`);
    const limit = this.policy.service.maxRequestLifetimeSeconds;
    if (expires - now > limit * 1000) this.refuseUnstored(identity, request, digest, `the request expires ${Math.round((expires - now) / 1000)} s from now; at most ${limit} s is accepted`);
  }

  /**
   * What every signing request passes first, in this order: freshness, then idempotency (a
   * request ID seen before: its stored outcome), then the nonce (a new request seen before).
   */
  private admit(identity: string, request: Freshness & { key?: string; product?: string }, digest: string, bodySha256: string): { known: Promise<Outcome> } | { now: string } {
    this.checkFreshness(identity, request, digest);
    const known = this.existing(identity, request.requestId, bodySha256, digest);
    if (known) return { known };
    const now = this.now().toISOString();
    if (!this.state.useNonce(request.nonce, request.requestId, request.expiresAt, now)) this.refuseUnstored(identity, request, digest, `nonce ${request.nonce} was seen before: a replayed request`);
    return { now };
  }

  /** Refuses a request after storing it refused, so its retry gets the same answer. */
  private refuseStored(row: RequestRow, reason: string): never {
    this.state.insertRequest({ ...row, status: "refused", reason, payload: null });
    this.record({ requestId: row.id, identity: row.identity, key: row.key, product: row.product, digest: row.digest, decision: "refused", reason });
    throw new Refusal(reason);
  }

  /** The stored outcome of a request ID seen before, if the same identity sent the same body. */
  private existing(identity: string, requestId: string, bodySha256: string, digest: string): Promise<Outcome> | undefined {
    const row = this.state.request(requestId);
    if (!row) return undefined;
    if (row.identity !== identity || row.body_sha256 !== bodySha256) {
      this.refuseUnstored(identity, { requestId }, digest, `request ID ${requestId} was already used for another request; use a fresh ID`, 409);
    }
    if (row.status === "signing") return this.inFlight.get(requestId) ?? this.sign(row); // resumed after a crash
    return Promise.resolve(this.outcomeOf(row));
  }

  outcomeOf(row: RequestRow): Outcome {
    return {
      requestId: row.id,
      kind: row.kind,
      status: row.status,
      key: row.key,
      product: row.product,
      digest: row.digest,
      ...(row.reason ? { reason: row.reason } : {}),
      approvals: this.state.approvers(row.id),
      needed: row.needed,
      summary: JSON.parse(row.summary) as string[],
      ...(row.result ? { file: new Uint8Array(row.result) } : {}),
    };
  }

  /** A request's status, for its requester and for approvers. */
  status(identity: string, requestId: string): Outcome {
    const row = this.state.request(requestId);
    if (!row || (row.identity !== identity && !this.roles(identity).includes("approver"))) throw new Refusal(`no request ${requestId} visible to ${identity}`, 404);
    return this.outcomeOf(row);
  }

  requestTargets(identity: string, request: TargetsRequest, bodySha256: string): Promise<Outcome> {
    let bundle: ParsedBundle | undefined;
    try {
      bundle = parseBundle(request.bundle, "the bundle");
    } catch {
      // refused below, after freshness and idempotency, like any other bad request
    }
    const digest = bundle ? sha256Hex(bundle.targetsSerialized) : sha256Hex(request.bundle);
    const admitted = this.admit(identity, request, digest, bodySha256);
    if ("known" in admitted) return admitted.known;
    const { now } = admitted;

    const row: RequestRow = {
      id: request.requestId, kind: "targets", identity, key: request.key, product: request.product, digest, body_sha256: bodySha256,
      status: "refused", needed: 0, summary: "[]", reason: null, payload: Buffer.from(request.bundle), result: null, targets_version: null,
      created: now, expires: request.expiresAt,
    };
    const refuse = (reason: string): never => this.refuseStored(row, reason);

    const key = this.keys.get(request.key);
    if (!key) refuse(`there is no key "${request.key}"`);
    if (key!.class === "root") refuse(`"${request.key}" is a root key: root metadata is signed through POST /v1/root/sign with M-of-N approvals`);
    if (!this.roles(identity).includes("requester")) refuse(`identity ${identity} lacks the requester role`);
    const product = this.policy.products[request.product];
    if (!product) refuse(`there is no product "${request.product}" in the policy`);
    if (!bundle) refuse("the request's bundle is not an airlock/Pigweed update bundle");
    if ((bundle!.targets.hardwareId ?? "") !== (product!.hardwareId ?? "")) {
      refuse(`the bundle is for hardware ${JSON.stringify(bundle!.targets.hardwareId ?? "")}, product ${request.product} is ${JSON.stringify(product!.hardwareId ?? "")}`);
    }
    const production = key!.class === "production";
    const rule = production && request.emergency ? this.policy.production.emergency : this.policy.production;
    if (!rule) refuse(`the policy has no production.emergency rule: key "${request.key}" cannot sign an emergency release`);
    let buildType = request.buildType;
    let endorsementBuildType: BuildType | undefined;
    let endorsement: ReturnType<typeof checkProvenance> | undefined;
    if (request.provenance) {
      try {
        endorsement = checkProvenance(request.provenance, this.builders, bundle!, request.product);
      } catch (err) {
        refuse(`provenance refused: ${(err as Error).message}`);
      }
      endorsementBuildType = endorsement!.buildType;
      if (buildType !== undefined && buildType !== endorsementBuildType) refuse(`the request says a ${buildType} build, its provenance a ${endorsementBuildType} build`);
      buildType = endorsementBuildType;
    }
    if (buildType === undefined) refuse("the request names no build type and carries no provenance to read it from");
    const grant = grantFor(this.policy, identity, request.key, request.product, buildType!);
    if (!grant) refuse(`identity ${identity} may not use key "${request.key}" for ${buildType} builds of ${request.product}`);
    if ((production || grant!.requireProvenance) && !endorsement) refuse(`key "${request.key}" signs only builds with provenance from a listed builder; send the build's .provenance.json`);

    const targetsVersion = Number(bundle!.targets.commonMetadata?.version ?? 0);
    row.targets_version = targetsVersion;
    if (production) {
      if (buildType !== "user") refuse(`production key "${request.key}" signs only user builds; this is an ${buildType} build`);
      if (!this.store) refuse("production signing re-runs the build's rules from the artifact store, and the policy names no service.store");
      const last = this.state.lastProductionVersion(request.product);
      if (targetsVersion <= last) refuse(`targets version ${targetsVersion} of ${request.product} is not above ${last}, the last production-signed one`);
      try {
        recheckBuild(endorsement!, bundle!, this.store!, this.options.slotsOf, last);
      } catch (err) {
        refuse(err instanceof AirlockError ? err.message : `the build cannot be re-checked: ${String(err)}`);
      }
      const missing = missingQualification(request.qualification ?? [], this.qualifiers, rule!.qualification, request.product, digest);
      if (missing.length) refuse(`no passing qualification record signed by a listed qualifier for suite(s) ${missing.join(", ")} of this build${request.emergency ? " (the emergency rule's suites)" : ""}`);
    }
    const needed = production ? rule!.approvals : 0;
    const summary = [
      ...(production && request.emergency ? [`EMERGENCY release under the policy's emergency rule (${needed} approval(s), suites ${rule!.qualification.join(", ") || "none"})`] : []),
      `sign ${request.product} targets version ${targetsVersion} (${buildType} build) with ${key!.class} key "${request.key}"`,
      `targets metadata sha256:${digest}`,
      ...(bundle!.targets.targetFiles ?? []).map((t) => `target ${t.fileName}: ${t.length} bytes, sha256:${listedSha256(t)}`),
      ...(endorsement ? [`built by ${endorsement.builder.name} (${endorsement.builder.id})`] : []),
    ];
    const stored: RequestRow = { ...row, needed, summary: JSON.stringify(summary), status: needed > 0 ? "pending" : "signing" };
    this.state.transaction(() => {
      this.state.insertRequest(stored);
      if (production && needed === 0) this.reserveLedger(stored);
    });
    if (needed > 0) {
      this.record({ requestId: row.id, identity, key: row.key, product: row.product, digest, decision: "pending", reason: `waiting for ${needed} approval(s)` });
      return Promise.resolve(this.outcomeOf(stored));
    }
    return this.sign(stored);
  }

  /** Why the request's version cannot be taken in the ledger, if it cannot. */
  private ledgerConflict(row: RequestRow): string | undefined {
    const last = this.state.lastProductionVersion(row.product);
    return (row.targets_version ?? 0) <= last ? `targets version ${row.targets_version} of ${row.product} is not above ${last}, the last production-signed one` : undefined;
  }

  /** Takes the request's version in the ledger (inside the caller's transaction); refuses if taken. */
  private reserveLedger(row: RequestRow): void {
    const taken = this.ledgerConflict(row);
    if (taken) throw new Refusal(taken);
    this.state.addLedger({ product: row.product, targetsVersion: row.targets_version!, key: row.key, digest: row.digest, requestId: row.id, at: this.now().toISOString() });
  }

  requestRoot(identity: string, request: RootRequest, bodySha256: string): Promise<Outcome> {
    let summary: string[] | undefined;
    let digest = sha256Hex(request.root);
    try {
      const root = parseRoot(request.root, "the root metadata");
      digest = sha256Hex(root.serialized);
      summary = rootSummary(request.root);
    } catch {
      // refused below
    }
    const admitted = this.admit(identity, request, digest, bodySha256);
    if ("known" in admitted) return admitted.known;
    const { now } = admitted;
    const row: RequestRow = {
      id: request.requestId, kind: "root", identity, key: request.key, product: "", digest, body_sha256: bodySha256, status: "pending",
      needed: this.policy.root.approvals, summary: JSON.stringify(summary ?? []), reason: null, payload: Buffer.from(request.root), result: null,
      targets_version: null, created: now, expires: request.expiresAt,
    };
    const refuse = (reason: string): never => this.refuseStored(row, reason);
    if (!this.roles(identity).includes("approver")) refuse(`identity ${identity} lacks the approver role: only approvers ask for root signatures`);
    const key = this.keys.get(request.key);
    if (!key) refuse(`there is no key "${request.key}"`);
    if (key!.class !== "root") refuse(`"${request.key}" is a ${key!.class} key, not a root key`);
    if (!summary) refuse("the request's root is not root metadata");
    this.state.insertRequest(row);
    this.record({ requestId: row.id, identity, key: row.key, product: "", digest, decision: "pending", reason: `waiting for ${row.needed} approval(s)` });
    return Promise.resolve(this.outcomeOf(row));
  }

  /** One approver's approval; the last one needed signs. */
  approve(identity: string, requestId: string): Promise<Outcome> {
    const row = this.state.request(requestId);
    const fail = (reason: string, status: 403 | 404 | 409 = 403): never => {
      this.record({ requestId, identity, key: row?.key ?? "", product: row?.product ?? "", digest: row?.digest ?? "", decision: "refused", reason });
      throw new Refusal(reason, status);
    };
    if (!this.roles(identity).includes("approver")) fail(`identity ${identity} lacks the approver role`);
    if (!row) return fail(`there is no request ${requestId}`, 404);
    if (row.status !== "pending") return Promise.resolve(this.outcomeOf(row)); // already decided: approving again changes nothing
    const windowEnd = Date.parse(row.created) + this.policy.service.approvalWindowSeconds * 1000;
    if (this.now().getTime() > windowEnd) {
      this.state.setStatus(row.id, "refused", { reason: "the approval window closed before enough approvals" });
      fail(`request ${requestId}'s approval window closed at ${new Date(windowEnd).toISOString()}; ask again`, 409);
    }
    if (row.identity === identity) fail(`${identity} asked for request ${requestId} and cannot approve it: approvals come from other people`);
    const next = this.state.transaction((): "waiting" | "signing" | { refused: string } => {
      if (!this.state.approve(requestId, identity, this.now().toISOString())) return { refused: `${identity} has already approved request ${requestId}; one person counts once` };
      if (this.state.approvers(requestId).length < row.needed) return "waiting";
      if (row.kind === "targets" && this.keys.get(row.key)?.class === "production") {
        const taken = this.ledgerConflict(row);
        if (taken) {
          this.state.setStatus(requestId, "refused", { reason: taken });
          return { refused: taken };
        }
        this.reserveLedger(row);
      }
      this.state.setStatus(requestId, "signing");
      return "signing";
    });
    if (typeof next === "object") fail(next.refused, 409);
    const approvals = this.state.approvers(requestId).length;
    this.record({ requestId, identity, key: row.key, product: row.product, digest: row.digest, decision: "approved", reason: `approval ${approvals} of ${row.needed}` });
    return next === "signing" ? this.sign({ ...row, status: "signing" }) : Promise.resolve(this.outcomeOf(this.state.request(requestId)!));
  }

  /** Signs a request in the "signing" state once, however many callers wait for it. */
  private sign(row: RequestRow): Promise<Outcome> {
    const running = this.inFlight.get(row.id);
    if (running) return running;
    const work = (async () => {
      const key = this.keys.get(row.key)!;
      const payload = new Uint8Array(row.payload ?? this.state.request(row.id)!.payload!);
      try {
        const signedBytes = row.kind === "root" ? parseRoot(payload).serialized : parseBundle(payload).targetsSerialized;
        const sig = await key.signer.sign(signedBytes);
        const signature = { keyId: key.signer.publicKey.keyId, sig };
        const file = row.kind === "root" ? attachRootSignature(payload, signature) : attachBundleSignature(payload, signature);
        this.record({ requestId: row.id, identity: row.identity, key: row.key, product: row.product, digest: row.digest, decision: "signed", reason: `signed with key ${hex(key.signer.publicKey.keyId)}` });
        this.state.setStatus(row.id, "signed", { result: Buffer.from(file) });
      } catch (err) {
        const reason = `signing failed: ${(err as Error).message}`;
        this.state.transaction(() => {
          this.state.setStatus(row.id, "refused", { reason });
          this.state.removeLedger(row.id);
        });
        this.record({ requestId: row.id, identity: row.identity, key: row.key, product: row.product, digest: row.digest, decision: "refused", reason });
      }
      return this.outcomeOf(this.state.request(row.id)!);
    })();
    this.inFlight.set(row.id, work);
    return work.finally(() => this.inFlight.delete(row.id));
  }
}

/** The new root in plain words: what approvers are asked to sign. */
export function rootSummary(bytes: Uint8Array): string[] {
  const report = inspectRoot(bytes);
  const describe = (role: "root" | "targets") => {
    const ids = report[role].keyIds;
    const keys = ids.map((id) => `${report.keys.find((k) => k.keyId === id)?.type ?? "?"} ${id.slice(0, 16)}`);
    return `${role} role: ${report[role].threshold} of ${ids.length} key(s) must sign: ${keys.join(", ")}`;
  };
  return [`root metadata version ${report.version}`, describe("root"), describe("targets"), `already signed by ${report.validRootSignatures} of its own root keys`];
}
