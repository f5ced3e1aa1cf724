// airlock.link.DeviceInfo from the host (proto/device_info.proto): what the device runs, in the
// shape `sim boot --json` prints, so a gateway reports the device's own answer.
import { decode, encode, wireSchema } from "./proto.js";
import { Status } from "./status.js";
import { RpcError, type RpcClient } from "./rpc-client.js";
import type { BootInfo } from "../../host-sim/index.js";

export const DEVICE_INFO_SERVICE = "airlock.link.DeviceInfo";

/** What the device says it runs: the agent's boot info, the same record `sim boot` reads from flash. */
export type RunningFirmware = BootInfo;

interface RawRunning {
  slot?: number;
  trial?: boolean;
  root_version?: number;
  targets_version?: number;
  pending?: boolean;
  targets?: { name?: string; length?: number; sha256?: Uint8Array }[];
}

export class DeviceInfoClient {
  constructor(
    readonly rpc: RpcClient,
    readonly timeoutMs: number,
  ) {}

  /** UNAVAILABLE before the firmware booted the agent, FAILED_PRECONDITION while it verifies or installs. */
  async getRunning(timeoutMs = this.timeoutMs): Promise<RunningFirmware> {
    const { Empty, RunningFirmware } = wireSchema();
    const reply = await this.rpc.unary(DEVICE_INFO_SERVICE, "GetRunning", encode(Empty, {}), timeoutMs);
    if (reply.status !== Status.OK) throw new RpcError(`${DEVICE_INFO_SERVICE}.GetRunning`, reply.status);
    let raw: RawRunning;
    try {
      raw = decode<RawRunning>(RunningFirmware, reply.payload);
    } catch {
      throw new RpcError(`${DEVICE_INFO_SERVICE}.GetRunning`, Status.DATA_LOSS);
    }
    const images: Record<string, string> = {};
    const lengths: Record<string, number> = {};
    for (const t of raw.targets ?? []) {
      if (!t.name || t.sha256?.length !== 32) throw new RpcError(`${DEVICE_INFO_SERVICE}.GetRunning`, Status.DATA_LOSS);
      images[t.name] = Buffer.from(t.sha256).toString("hex");
      lengths[t.name] = t.length ?? 0;
    }
    return { slot: raw.slot === 1 ? "b" : "a", trial: raw.trial ?? false, rootVersion: raw.root_version ?? 0, targetsVersion: raw.targets_version ?? 0, pending: raw.pending ?? false, images, lengths };
  }
}
