// The operator API from a program (the CLI): one method per route, a refusal as RejectedError
// with the service's code and message, an unreachable service as InputError naming the URL.
import { InputError, RejectedError } from "../format/index.js";
import type { Operator, Rollout } from "./model.js";
import type { CreateRollout, RolloutView } from "./operator-service.js";
import type { AuditEntry } from "./tables/audit.js";
import type { DeviceRecord } from "./tables/devices.js";

export class FleetClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new InputError(`cannot reach the rollout service at ${this.baseUrl} (${cause}): is \`airlock fleet serve\` running there? check --remote`);
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RejectedError(`${method} ${url} answered ${res.status} with no JSON: is ${this.baseUrl} the rollout service?`);
    }
    if (!res.ok) {
      const error = (value as { error?: { code?: string; message?: string } }).error;
      throw new RejectedError(`the rollout service refused (${res.status} ${error?.code ?? "ERROR"}): ${error?.message ?? text}`, error?.code);
    }
    return value as T;
  }

  whoami(): Promise<Operator> {
    return this.call("GET", "/api/v1/whoami");
  }

  async rollouts(): Promise<Rollout[]> {
    return (await this.call<{ rollouts: Rollout[] }>("GET", "/api/v1/rollouts")).rollouts;
  }

  rollout(id: number): Promise<RolloutView> {
    return this.call("GET", `/api/v1/rollouts/${id}`);
  }

  createRollout(request: CreateRollout): Promise<RolloutView> {
    return this.call("POST", "/api/v1/rollouts", request);
  }

  change(id: number, verb: "pause" | "resume" | "cancel" | "stop", reason?: string): Promise<RolloutView> {
    return this.call("POST", `/api/v1/rollouts/${id}/${verb}`, reason === undefined ? {} : { reason });
  }

  async devices(search?: string, limit?: number): Promise<DeviceRecord[]> {
    const query = new URLSearchParams({ ...(search ? { search } : {}), ...(limit ? { limit: String(limit) } : {}) });
    return (await this.call<{ devices: DeviceRecord[] }>("GET", `/api/v1/devices${query.size ? `?${query}` : ""}`)).devices;
  }

  async setGroups(deviceId: string, groups: string[]): Promise<void> {
    await this.call("PUT", `/api/v1/devices/${encodeURIComponent(deviceId)}/groups`, { groups });
  }

  async removeDevice(deviceId: string): Promise<void> {
    await this.call("DELETE", `/api/v1/devices/${encodeURIComponent(deviceId)}`);
  }

  async audit(subject?: string, limit?: number): Promise<AuditEntry[]> {
    const query = new URLSearchParams({ ...(subject ? { subject } : {}), ...(limit ? { limit: String(limit) } : {}) });
    return (await this.call<{ entries: AuditEntry[] }>("GET", `/api/v1/audit${query.size ? `?${query}` : ""}`)).entries;
  }
}
