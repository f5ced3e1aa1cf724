// The lightweight simulated device, for measuring how many devices a rollout service carries: no
// agent and no flash, only the DDI client reporting a fixed manifest (a real one, read from a
// factory device's agent by the caller). It enrolls, checks in, and when offered an action
// reads its deployment and does nothing more: installing is what the full FleetDevice is for.
import type { DeviceManifest } from "../model.js";
import { DdiClient, DdiRefusal, NetworkError, type Fetch } from "./ddi-client.js";

export type CheckInEvent = { kind: "enrolled" } | { kind: "idle" } | { kind: "offered"; actionId: number; targetsVersion: number } | { kind: "withdrawn"; actionId: number } | { kind: "network"; message: string };

export class CheckInClient {
  readonly client: DdiClient;

  constructor(
    readonly id: string,
    readonly manifest: DeviceManifest,
    serviceUrl: string,
    private readonly enrollSecret: string,
    fetch?: Fetch,
  ) {
    this.client = new DdiClient(serviceUrl, manifest.product, id, fetch);
  }

  async pollOnce(): Promise<CheckInEvent> {
    try {
      if (this.client.token === undefined) {
        await this.client.enroll(this.enrollSecret, this.manifest);
        return { kind: "enrolled" };
      }
      const answer = await this.client.checkIn(this.manifest);
      if (answer.actionId === undefined) return { kind: "idle" };
      try {
        const deployment = await this.client.deployment(answer.actionId);
        return { kind: "offered", actionId: answer.actionId, targetsVersion: deployment.targetsVersion };
      } catch (err) {
        if (err instanceof DdiRefusal && err.code === "ACTION_CLOSED") return { kind: "withdrawn", actionId: answer.actionId };
        throw err;
      }
    } catch (err) {
      if (err instanceof NetworkError) return { kind: "network", message: err.message };
      throw err;
    }
  }
}
