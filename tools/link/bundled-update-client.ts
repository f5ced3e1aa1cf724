// pw.software_update.BundledUpdate from the host: each method returns the device's
// BundledUpdateStatus, decoded, with Pigweed's state and result names.
import { wireSchema, encode, decode } from "./proto.js";
import { Status } from "./status.js";
import { RpcError, type RpcClient } from "./rpc-client.js";

export const BUNDLED_UPDATE_SERVICE = "pw.software_update.BundledUpdate";
export const DEFAULT_CALL_TIMEOUT_MS = 2000;

export interface DeviceStatus {
  state: number;
  stateName: string;
  result?: number;
  resultName?: string;
  /** Progress of the current state in hundredths of a percent. */
  progress?: number;
  transferId?: number;
  bundleFilename?: string;
  note?: string;
  /** The status the call itself returned (OK, or FAILED_PRECONDITION when the state refused it). */
  callStatus: number;
}

type Method = "GetStatus" | "Start" | "SetTransferred" | "Verify" | "Apply" | "Abort" | "Reset";

interface RawStatus {
  state?: number;
  result?: number;
  current_state_progress_hundreth_percent?: number;
  transfer_id?: number;
  bundle_filename?: string;
  note?: Uint8Array;
}

export class BundledUpdateClient {
  constructor(readonly rpc: RpcClient, readonly timeoutMs = DEFAULT_CALL_TIMEOUT_MS) {}

  private async call(method: Method, request: Uint8Array, timeoutMs = this.timeoutMs): Promise<DeviceStatus> {
    const { BundledUpdateStatus, State, Result } = wireSchema();
    const reply = await this.rpc.unary(BUNDLED_UPDATE_SERVICE, method, request, timeoutMs);
    let raw: RawStatus;
    try {
      raw = decode<RawStatus>(BundledUpdateStatus, reply.payload);
    } catch {
      throw new RpcError(`${BUNDLED_UPDATE_SERVICE}.${method}`, Status.DATA_LOSS);
    }
    if (reply.payload.length === 0 && reply.status !== Status.OK) throw new RpcError(`${BUNDLED_UPDATE_SERVICE}.${method}`, reply.status);
    const state = raw.state ?? 0;
    const stateName = nameOf(State, state);
    return {
      state,
      stateName,
      ...(raw.result !== undefined ? { result: raw.result, resultName: nameOf(Result, raw.result) } : {}),
      ...(raw.current_state_progress_hundreth_percent !== undefined ? { progress: raw.current_state_progress_hundreth_percent } : {}),
      ...(raw.transfer_id !== undefined ? { transferId: raw.transfer_id } : {}),
      ...(raw.bundle_filename !== undefined ? { bundleFilename: raw.bundle_filename } : {}),
      ...(raw.note !== undefined && raw.note.length > 0 ? { note: Buffer.from(raw.note).toString("utf8") } : {}),
      callStatus: reply.status,
    };
  }

  private empty(): Uint8Array {
    return encode(wireSchema().Empty, {});
  }

  /** A shorter timeout suits polling: a poll lost while the device reboots is simply repeated. */
  getStatus(timeoutMs?: number): Promise<DeviceStatus> {
    return this.call("GetStatus", this.empty(), timeoutMs);
  }
  start(bundleFilename?: string): Promise<DeviceStatus> {
    const { StartRequest } = wireSchema();
    return this.call("Start", encode(StartRequest, bundleFilename === undefined ? {} : { bundle_filename: bundleFilename }));
  }
  setTransferred(): Promise<DeviceStatus> {
    return this.call("SetTransferred", this.empty());
  }
  verify(): Promise<DeviceStatus> {
    return this.call("Verify", this.empty());
  }
  apply(): Promise<DeviceStatus> {
    return this.call("Apply", this.empty());
  }
  abort(): Promise<DeviceStatus> {
    return this.call("Abort", this.empty());
  }
  reset(): Promise<DeviceStatus> {
    return this.call("Reset", this.empty());
  }
}

function nameOf(values: Record<string, number>, n: number): string {
  return Object.entries(values).find(([, v]) => v === n)?.[0] ?? `${n}`;
}

/** The call was refused in the device's state (FAILED_PRECONDITION), with its note. */
export function refused(status: DeviceStatus): boolean {
  return status.callStatus !== Status.OK;
}

