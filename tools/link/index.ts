// The host end of the wire (Pigweed's pw_hdlc, pw_rpc, pw_transfer v2, BundledUpdate): one entry
// for the CLI, the release system and test rigs.
export { crc32, crc32Table } from "./crc32.js";
export { HdlcDecoder, encodeUiFrame, RPC_ADDRESS, UI_CONTROL, MAX_FRAME_BYTES } from "./hdlc.js";
export type { HdlcFrame, HdlcStats } from "./hdlc.js";
export { pwRpcHash } from "./ids.js";
export { PW_STATUS, Status, statusName } from "./status.js";
export { wireSchema, encode, decode } from "./proto.js";
export type { WireSchema } from "./proto.js";
export { realClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { LinkClosedError } from "./byte-link.js";
export type { ByteLink } from "./byte-link.js";
export { RpcClient, RpcError, RpcTimeoutError, RPC_CHANNEL } from "./rpc-client.js";
export type { RpcClientOptions, StreamCall, UnaryResult } from "./rpc-client.js";
export {
  TransferClient, TransferError, TRANSFER_SERVICE, PROTOCOL_VERSION, DEFAULT_CHUNK_TIMEOUT_MS,
  DEFAULT_INITIAL_TIMEOUT_MS, DEFAULT_MAX_RETRIES,
} from "./transfer-client.js";
export type { Chunk, WriteOptions } from "./transfer-client.js";
export { BundledUpdateClient, BUNDLED_UPDATE_SERVICE, refused } from "./bundled-update-client.js";
export type { DeviceStatus } from "./bundled-update-client.js";
export { DeviceInfoClient, DEVICE_INFO_SERVICE } from "./device-info-client.js";
export type { RunningFirmware } from "./device-info-client.js";
export { connectTcp, ConnectError } from "./tcp.js";
export { sendBundle, SendError, DeviceConnection, agentErrorOf } from "./send.js";
export type { SendOptions, SendReport, SendPhase, SendErrorCode } from "./send.js";
export { openSerial, DEFAULT_BAUD } from "./serial.js";
export type { SerialPortFactory, SerialPortLike } from "./serial.js";
