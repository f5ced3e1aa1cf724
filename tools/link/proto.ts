// Pigweed's wire messages, from the vendored protos (proto/pigweed/, headers and commit kept):
// RpcPacket, transfer Chunk and ResourceStatus, BundledUpdateStatus and StartRequest; and
// airlock's own DeviceInfo answer (proto/device_info.proto). Imports of pw_* files resolve inside
// proto/pigweed/; google/protobuf/* come with protobufjs.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

const PIGWEED = fileURLToPath(new URL("../../proto/pigweed/", import.meta.url));
const DEVICE_INFO_PROTO = fileURLToPath(new URL("../../proto/device_info.proto", import.meta.url));
const PROTOBUFJS = dirname(createRequire(import.meta.url).resolve("protobufjs/package.json"));

export interface WireSchema {
  RpcPacket: protobuf.Type;
  PacketType: Record<string, number>;
  Chunk: protobuf.Type;
  ChunkType: Record<string, number>;
  ResourceStatusRequest: protobuf.Type;
  ResourceStatus: protobuf.Type;
  BundledUpdateStatus: protobuf.Type;
  StartRequest: protobuf.Type;
  Empty: protobuf.Type;
  RunningFirmware: protobuf.Type;
  State: Record<string, number>;
  Result: Record<string, number>;
}

let loaded: WireSchema | undefined;

export function wireSchema(): WireSchema {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith("google/protobuf/") ? join(PROTOBUFJS, target) : target.startsWith("/") ? target : join(PIGWEED, target);
  root.loadSync(["pw_rpc/internal/packet.proto", "pw_transfer/transfer.proto", "pw_software_update/bundled_update.proto", DEVICE_INFO_PROTO], { keepCase: true });
  root.resolveAll();
  loaded = {
    RpcPacket: root.lookupType("pw.rpc.internal.RpcPacket"),
    PacketType: root.lookupEnum("pw.rpc.internal.PacketType").values,
    Chunk: root.lookupType("pw.transfer.Chunk"),
    ChunkType: root.lookupEnum("pw.transfer.Chunk.Type").values,
    ResourceStatusRequest: root.lookupType("pw.transfer.ResourceStatusRequest"),
    ResourceStatus: root.lookupType("pw.transfer.ResourceStatus"),
    BundledUpdateStatus: root.lookupType("pw.software_update.BundledUpdateStatus"),
    StartRequest: root.lookupType("pw.software_update.StartRequest"),
    Empty: root.lookupType("pw.protobuf.Empty"),
    RunningFirmware: root.lookupType("airlock.link.RunningFirmware"),
    State: root.lookupEnum("pw.software_update.BundledUpdateState.Enum").values,
    Result: root.lookupEnum("pw.software_update.BundledUpdateResult.Enum").values,
  };
  return loaded;
}

/** Encodes a plain object as `type` (field names as in the .proto). */
export function encode(type: protobuf.Type, value: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

/** Decodes `type`: numbers for enums and 64-bit fields; an absent optional field stays undefined. */
export function decode<T>(type: protobuf.Type, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number }) as T;
}
