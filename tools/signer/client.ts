// The signing service's client: what `bundle sign --remote`, `root sign --remote` and `signer
// approve|show` send. Each request gets a fresh ID and nonce and a short expiry; --request-id
// resumes one (same ID, same body: the service answers with the stored outcome).
import { randomBytes, randomUUID } from "node:crypto";
import { InputError, RejectedError } from "../format/index.js";
import type { DsseEnvelope } from "../build/index.js";
import type { Outcome } from "./service.js";

/** What the service answers: its Outcome, as JSON with the file decoded again. */
export type RemoteOutcome = Outcome;

export class SignerClient {
  constructor(readonly url: string, private readonly token: string) {}

  private async call(method: "GET" | "POST", path: string, body?: unknown): Promise<RemoteOutcome> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/$/, "")}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new InputError(`cannot reach the signing service at ${this.url} (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}): check --remote and that \`airlock signer serve\` runs`);
    }
    const text = await response.text();
    let json: { error?: { code: string; message: string } } & Partial<RemoteOutcome> & { file?: string };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new RejectedError(`the signing service answered ${response.status} with something that is not JSON`);
    }
    if (json.error) {
      const message = `the signing service refused (${response.status} ${json.error.code}): ${json.error.message}`;
      throw response.status === 400 || response.status === 413 ? new InputError(message) : new RejectedError(message, json.error.code);
    }
    const outcome = json as RemoteOutcome & { file?: string };
    return { ...outcome, file: outcome.file === undefined ? undefined : new Uint8Array(Buffer.from(outcome.file, "base64")) };
  }

  private static freshness(requestId?: string, lifetimeSeconds = 300) {
    return { requestId: requestId ?? randomUUID(), nonce: randomBytes(18).toString("base64url"), expiresAt: new Date(Date.now() + lifetimeSeconds * 1000).toISOString() };
  }

  signTargets(request: { key: string; product: string; buildType?: "eng" | "user"; bundle: Uint8Array; provenance?: DsseEnvelope; qualification?: DsseEnvelope[]; emergency?: boolean; requestId?: string }): Promise<RemoteOutcome> {
    const { requestId, bundle, ...rest } = request;
    return this.call("POST", "/v1/targets/sign", { ...SignerClient.freshness(requestId), ...rest, bundle: Buffer.from(bundle).toString("base64") });
  }

  signRoot(request: { key: string; root: Uint8Array; requestId?: string }): Promise<RemoteOutcome> {
    return this.call("POST", "/v1/root/sign", { ...SignerClient.freshness(request.requestId), key: request.key, root: Buffer.from(request.root).toString("base64") });
  }

  status(requestId: string): Promise<RemoteOutcome> {
    return this.call("GET", `/v1/requests/${encodeURIComponent(requestId)}`);
  }

  approve(requestId: string): Promise<RemoteOutcome> {
    return this.call("POST", `/v1/requests/${encodeURIComponent(requestId)}/approve`);
  }

  /** Polls until the request is signed or refused, or the time is up. */
  async waitFor(requestId: string, timeoutMs: number, intervalMs = 500): Promise<RemoteOutcome> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const outcome = await this.status(requestId);
      if (outcome.status === "signed" || outcome.status === "refused" || Date.now() > end) return outcome;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
