// The pw_rpc server: decodes RpcPacket (pw_rpc/internal/packet.proto), dispatches to the three
// services on channel 1, and sends responses with the request's channel, service, method and
// call ID. Unknown services and methods get SERVER_ERROR NOT_FOUND, as Pigweed's server does;
// packets that do not decode, or belong to no open call, are dropped and counted.
import { OK } from "../status";
import { LINK_TX_PACKET_AT, LINK_TX_PACKET_BYTES } from "../limits";
import { ioWindow } from "../io";
import { useMemorySource } from "../proto/source";
import {
  readField, FIELD_END, fieldNumber, fieldWire, fieldVarint, fieldStart, fieldLen, fieldNext,
  WIRE_VARINT, WIRE_LEN, WIRE_FIXED32,
} from "../proto/wire";
import { pbBegin, pbUint, pbFixed32, pbBytes, pbLength, pbOverflow } from "./pb";
import { hdlcSend } from "./hdlc";
import { count, COUNTER_BAD_PACKET, COUNTER_UNKNOWN_CALL, COUNTER_TX_DROPPED } from "./counters";
import { PW_NOT_FOUND, PW_FAILED_PRECONDITION, PW_OK } from "./status";
import {
  idsInit, SERVICE_BUNDLED_UPDATE, SERVICE_TRANSFER, SERVICE_DEVICE_INFO, METHOD_READ, METHOD_WRITE, METHOD_GET_RESOURCE_STATUS,
} from "./ids";
import { bundledUpdateCall } from "./bundled-update";
import { deviceInfoCall } from "./device-info";
import { transferChunk, transferStreamClosed, resourceStatus, readRefused } from "./transfer";

export const RPC_ADDRESS: u64 = 82;
export const RPC_CHANNEL: u32 = 1;

// PacketType
export const REQUEST: u32 = 0;
export const RESPONSE: u32 = 1;
export const CLIENT_STREAM: u32 = 2;
export const CLIENT_ERROR: u32 = 4;
export const SERVER_ERROR: u32 = 5;
export const SERVER_STREAM: u32 = 7;
export const CLIENT_REQUEST_COMPLETION: u32 = 8;

// The packet being handled.
let pType: u32 = 0;
let pChannel: u32 = 0;
let pService: u32 = 0;
let pMethod: u32 = 0;
let pCallId: u32 = 0;
let pPayload: usize = 0;
let pPayloadLen: u32 = 0;

// The open pw.transfer.Transfer.Write stream (one at a time, as one bundle is staged at a time).
let writeOpen = false;
let writeCallId: u32 = 0;

function decodePacket(at: usize, len: u32): bool {
  pType = 0;
  pChannel = 0;
  pService = 0;
  pMethod = 0;
  pCallId = 0;
  pPayload = 0;
  pPayloadLen = 0;
  useMemorySource();
  let pos = <u32>at;
  const end = <u32>(at + len);
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return false;
    const f = fieldNumber;
    if (f == 1 || f == 2 || f == 6 || f == 7) {
      if (fieldWire != WIRE_VARINT || fieldVarint > <u64>0xffffffff) return false;
      const v = <u32>fieldVarint;
      if (f == 1) pType = v;
      else if (f == 2) pChannel = v;
      else if (f == 7) pCallId = v;
    } else if (f == 3 || f == 4) {
      if (fieldWire != WIRE_FIXED32) return false;
      const v = load<u32>(<usize>fieldStart);
      if (f == 3) pService = v;
      else pMethod = v;
    } else if (f == 5) {
      if (fieldWire != WIRE_LEN) return false;
      pPayload = <usize>fieldStart;
      pPayloadLen = fieldLen;
    }
    pos = fieldNext;
  }
  return true;
}

/** Sends a packet of `type` for the current call, carrying len payload bytes at payload. */
function reply(type: u32, status: u32, payload: usize, len: u32): void {
  pbBegin(ioWindow + LINK_TX_PACKET_AT, LINK_TX_PACKET_BYTES);
  pbUint(1, <u64>type);
  pbUint(2, <u64>pChannel);
  pbFixed32(3, pService);
  pbFixed32(4, pMethod);
  if (len > 0) pbBytes(5, payload, len);
  pbUint(6, <u64>status);
  pbUint(7, <u64>pCallId);
  if (pbOverflow) {
    count(COUNTER_TX_DROPPED);
    return;
  }
  hdlcSend(RPC_ADDRESS, ioWindow + LINK_TX_PACKET_AT, pbLength());
}

/** A unary response: the handler built its message with pb*, then this sends it. */
export function sendResponse(status: u32, payload: usize, len: u32): void {
  reply(RESPONSE, status, payload, len);
}

// Server-stream packets of the Write call outlive the packet that opened it.
let streamChannel: u32 = 0;
let streamService: u32 = 0;
let streamMethod: u32 = 0;

/** Sends a chunk on the open Write stream (or on the Read call being refused). */
export function sendStream(payload: usize, len: u32): void {
  reply(SERVER_STREAM, PW_OK, payload, len);
}

function openWriteStream(): void {
  writeOpen = true;
  writeCallId = pCallId;
  streamChannel = pChannel;
  streamService = pService;
  streamMethod = pMethod;
}

export function rpcReset(): void {
  writeOpen = false;
}

function transferCall(): void {
  if (pMethod == METHOD_WRITE) {
    if (pType == REQUEST) {
      // A new Write call replaces an older one (the host reconnected); the session survives it.
      openWriteStream();
      if (pPayloadLen > 0) transferChunk(pPayload, pPayloadLen);
      return;
    }
    if (!writeOpen || pCallId != writeCallId) {
      if (pType == CLIENT_STREAM) reply(SERVER_ERROR, PW_FAILED_PRECONDITION, 0, 0);
      else count(COUNTER_UNKNOWN_CALL);
      return;
    }
    if (pType == CLIENT_STREAM) transferChunk(pPayload, pPayloadLen);
    else if (pType == CLIENT_ERROR || pType == CLIENT_REQUEST_COMPLETION) {
      writeOpen = false;
      transferStreamClosed();
    } else count(COUNTER_UNKNOWN_CALL);
    return;
  }
  if (pMethod == METHOD_READ) {
    // The bundle resource is write-only: every read is refused with the chunk's own status.
    if (pType == REQUEST || pType == CLIENT_STREAM) {
      if (pPayloadLen > 0) readRefused(pPayload, pPayloadLen);
    } else count(COUNTER_UNKNOWN_CALL);
    return;
  }
  if (pMethod == METHOD_GET_RESOURCE_STATUS) {
    if (pType == REQUEST) resourceStatus(pPayload, pPayloadLen);
    else count(COUNTER_UNKNOWN_CALL);
    return;
  }
  if (pType == REQUEST) reply(SERVER_ERROR, PW_NOT_FOUND, 0, 0);
  else count(COUNTER_UNKNOWN_CALL);
}

/** Handles one RPC packet (the payload of a UI frame to RPC_ADDRESS). */
export function rpcPacket(at: usize, len: u32): void {
  idsInit();
  if (!decodePacket(at, len)) {
    count(COUNTER_BAD_PACKET);
    return;
  }
  if (pChannel != RPC_CHANNEL) {
    count(COUNTER_UNKNOWN_CALL); // no such channel: nothing can be sent back on it
    return;
  }
  if (pService == SERVICE_BUNDLED_UPDATE) {
    if (pType == REQUEST) bundledUpdateCall(pMethod, pPayload, pPayloadLen);
    else count(COUNTER_UNKNOWN_CALL); // unary calls finish with their response
    return;
  }
  if (pService == SERVICE_TRANSFER) {
    transferCall();
    return;
  }
  if (pService == SERVICE_DEVICE_INFO) {
    if (pType == REQUEST) deviceInfoCall(pMethod);
    else count(COUNTER_UNKNOWN_CALL);
    return;
  }
  if (pType == REQUEST) reply(SERVER_ERROR, PW_NOT_FOUND, 0, 0);
  else count(COUNTER_UNKNOWN_CALL);
}

/** SERVER_ERROR NOT_FOUND for a unary method this service lacks. */
export function unknownMethod(): void {
  reply(SERVER_ERROR, PW_NOT_FOUND, 0, 0);
}
