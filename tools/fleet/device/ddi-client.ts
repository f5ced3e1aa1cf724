// The device's end of the DDI-shaped device API (device-routes.ts): enroll with the product's
// enrollment secret, check in with the manifest, read a deployment, send feedback, download the
// bundle. Requests go through one `fetch` (the global one unless a caller passes another, e.g. a
// flaky network); a request that never got an answer is a NetworkError, an answer that refuses
// is a DdiRefusal with the service's status and code.
import type { DdiFeedback } from "../feedback.js";
import type { DeviceManifest } from "../model.js";

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** No answer arrived: the request may or may not have reached the service. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

/** The service answered with an error ({error: {code, message}}). */
export class DdiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "DdiRefusal";
  }
}

export interface Deployment {
  actionId: number;
  targetsVersion: number;
  bundle: { url: string; sha256: string; size: number };
  emergency: boolean;
  wave: number;
}

/** What a check-in answered: the action's ID when the device has one, and the poll interval. */
export interface CheckInAnswer {
  actionId?: number;
  sleepSeconds: number;
}

function seconds(sleep: string | undefined): number {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(sleep ?? "");
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : 0;
}

export class DdiClient {
  token: string | undefined;

  constructor(
    readonly serviceUrl: string,
    readonly product: string,
    readonly deviceId: string,
    private readonly fetch: Fetch = globalThis.fetch,
  ) {}

  get base(): string {
    return `${this.serviceUrl.replace(/\/+$/, "")}/${encodeURIComponent(this.product)}/controller/v1/${encodeURIComponent(this.deviceId)}`;
  }

  private async send(method: string, url: string, authorization: string, body?: unknown): Promise<{ status: number; body: any }> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(url, {
        method,
        headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new NetworkError(`${method} ${url}: no answer (${cause})`);
    }
    let value: any;
    try {
      value = JSON.parse(text);
    } catch {
      throw new DdiRefusal(res.status, "NOT_JSON", `${method} ${url} answered without JSON: is ${this.serviceUrl} the rollout service?`);
    }
    if (!res.ok) throw new DdiRefusal(res.status, value?.error?.code ?? "ERROR", value?.error?.message ?? text);
    return { status: res.status, body: value };
  }

  private get auth(): string {
    if (this.token === undefined) throw new Error(`device ${this.deviceId} has not enrolled: call enroll() first`);
    return `TargetToken ${this.token}`;
  }

  /** Joins the fleet; keeps the token the service returns (once). */
  async enroll(secret: string, manifest: DeviceManifest): Promise<void> {
    const answer = await this.send("POST", `${this.base}/enroll`, `GatewayToken ${secret}`, manifest);
    this.token = String(answer.body.token);
  }

  async checkIn(manifest: DeviceManifest): Promise<CheckInAnswer> {
    const answer = await this.send("POST", this.base, this.auth, manifest);
    const href: string | undefined = answer.body._links?.deploymentBase?.href;
    const id = href === undefined ? undefined : /\/deploymentBase\/(\d+)/.exec(href)?.[1];
    return { actionId: id === undefined ? undefined : Number(id), sleepSeconds: seconds(answer.body.config?.polling?.sleep) };
  }

  async deployment(actionId: number): Promise<Deployment> {
    const { body } = await this.send("GET", `${this.base}/deploymentBase/${actionId}`, this.auth);
    const chunk = body.deployment?.chunks?.[0];
    const artifact = chunk?.artifacts?.[0];
    if (!artifact?._links?.download?.href || !/^[0-9a-f]{64}$/.test(artifact.hashes?.sha256 ?? "")) {
      throw new DdiRefusal(200, "BAD_DEPLOYMENT", `deployment ${actionId} names no bundle artifact with a download link and SHA-256`);
    }
    return {
      actionId,
      targetsVersion: Number(chunk.version),
      bundle: { url: artifact._links.download.href, sha256: artifact.hashes.sha256, size: Number(artifact.size) },
      emergency: body.airlock?.emergency === true,
      wave: Number(body.airlock?.wave ?? 0),
    };
  }

  async feedback(actionId: number, status: DdiFeedback["status"]): Promise<string> {
    const { body } = await this.send("POST", `${this.base}/deploymentBase/${actionId}/feedback`, this.auth, { status });
    return String(body.state);
  }

  /** The artifact's bytes (no device credentials: the release repository is public). */
  async download(url: string, size: number): Promise<Uint8Array> {
    let res: Response;
    let bytes: Uint8Array;
    try {
      res = await this.fetch(url);
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new NetworkError(`GET ${url}: no answer (${cause})`);
    }
    if (res.status >= 500) throw new NetworkError(`GET ${url}: ${res.status}`);
    if (!res.ok) throw new DdiRefusal(res.status, "DOWNLOAD_FAILED", `GET ${url} answered ${res.status}`);
    if (bytes.length !== size) throw new DdiRefusal(res.status, "DOWNLOAD_SIZE", `GET ${url} sent ${bytes.length} bytes, the deployment names ${size}`);
    return bytes;
  }
}
