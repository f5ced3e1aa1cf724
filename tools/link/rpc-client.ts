// A pw_rpc client over HDLC on one link: unary calls and bidirectional streams on channel 1 at
// HDLC address 82. Each call gets its own call ID; packets are matched to calls by channel,
// service, method and call ID, and packets for no open call are dropped and counted.
import { HdlcDecoder, encodeUiFrame, RPC_ADDRESS, UI_CONTROL } from "./hdlc.js";
import { wireSchema, encode, decode } from "./proto.js";
import { pwRpcHash } from "./ids.js";
import { statusName, Status } from "./status.js";
import { realClock, type Clock } from "./clock.js";
import { LinkClosedError, type ByteLink } from "./byte-link.js";

export const RPC_CHANNEL = 1;

interface Packet {
  type?: number;
  channel_id?: number;
  service_id?: number;
  method_id?: number;
  payload?: Uint8Array;
  status?: number;
  call_id?: number;
}

/** The server answered with an error status (SERVER_ERROR, or a RESPONSE that is not OK). */
export class RpcError extends Error {
  constructor(readonly method: string, readonly status: number, readonly payload?: Uint8Array) {
    super(`${method} failed: ${statusName(status)}`);
    this.name = "RpcError";
  }
}

export class RpcTimeoutError extends Error {
  constructor(readonly method: string, readonly afterMs: number, link: string) {
    super(`${method}: no answer from ${link} after ${Math.round(afterMs)} ms`);
    this.name = "RpcTimeoutError";
  }
}

export interface UnaryResult {
  status: number;
  payload: Uint8Array;
}

interface Call {
  key: string;
  name: string;
  onPacket(packet: Packet): void;
  onClosed(error: Error): void;
}

export interface StreamCall {
  send(payload: Uint8Array): void;
  /** Ends the call from this side (CLIENT_ERROR CANCELLED). */
  cancel(): void;
}

export interface RpcClientOptions {
  channelId?: number;
  address?: number;
  clock?: Clock;
}

export class RpcClient {
  readonly decoder = new HdlcDecoder();
  /** Packets that decoded but belonged to no open call, or did not decode. */
  readonly stats = { unmatched: 0, badPackets: 0, otherAddress: 0 };
  private readonly calls = new Map<string, Call>();
  private nextCallId = 1 + Math.floor(Math.random() * 1000);
  private closed: Error | undefined;
  readonly channelId: number;
  readonly address: number;
  readonly clock: Clock;

  constructor(readonly link: ByteLink, options: RpcClientOptions = {}) {
    this.channelId = options.channelId ?? RPC_CHANNEL;
    this.address = options.address ?? RPC_ADDRESS;
    this.clock = options.clock ?? realClock;
    link.onData((bytes) => this.receive(bytes));
    link.onClose((reason) => {
      this.closed = new LinkClosedError(link.description, reason);
      for (const call of [...this.calls.values()]) call.onClosed(this.closed);
      this.calls.clear();
    });
  }

  private receive(bytes: Uint8Array): void {
    const { RpcPacket } = wireSchema();
    for (const frame of this.decoder.push(bytes)) {
      if (frame.address !== this.address || frame.control !== UI_CONTROL) {
        this.stats.otherAddress++;
        continue;
      }
      let packet: Packet;
      try {
        packet = decode<Packet>(RpcPacket, frame.payload);
      } catch {
        this.stats.badPackets++;
        continue;
      }
      const call = this.calls.get(keyOf(packet.channel_id ?? 0, packet.service_id ?? 0, packet.method_id ?? 0, packet.call_id ?? 0));
      if (call) call.onPacket(packet);
      else this.stats.unmatched++;
    }
  }

  private sendPacket(packet: Packet): void {
    if (this.closed) throw this.closed;
    this.link.write(encodeUiFrame(this.address, encode(wireSchema().RpcPacket, packet as Record<string, unknown>)));
  }

  private open(service: string, method: string): { ids: Packet; key: string; name: string } {
    const callId = this.nextCallId++;
    if (this.nextCallId > 0x7fffffff) this.nextCallId = 1;
    const ids = { channel_id: this.channelId, service_id: pwRpcHash(service), method_id: pwRpcHash(method), call_id: callId };
    return { ids, key: keyOf(ids.channel_id, ids.service_id, ids.method_id, callId), name: `${service}.${method}` };
  }

  /** A unary call: resolves with the response's status and payload; SERVER_ERROR rejects. */
  unary(service: string, method: string, request: Uint8Array, timeoutMs: number): Promise<UnaryResult> {
    const { ids, key, name } = this.open(service, method);
    return new Promise<UnaryResult>((resolve, reject) => {
      const started = this.clock.now();
      const cancelTimer = this.clock.after(timeoutMs, () => {
        this.calls.delete(key);
        reject(new RpcTimeoutError(name, this.clock.now() - started, this.link.description));
      });
      const finish = () => {
        cancelTimer();
        this.calls.delete(key);
      };
      const { PacketType } = wireSchema();
      this.calls.set(key, {
        key,
        name,
        onPacket: (packet) => {
          if (packet.type === PacketType.RESPONSE) {
            finish();
            resolve({ status: packet.status ?? Status.OK, payload: packet.payload ?? new Uint8Array() });
          } else if (packet.type === PacketType.SERVER_ERROR) {
            finish();
            reject(new RpcError(name, packet.status ?? Status.UNKNOWN));
          } else this.stats.unmatched++;
        },
        onClosed: (error) => {
          cancelTimer();
          reject(error);
        },
      });
      try {
        this.sendPacket({ type: PacketType.REQUEST, ...ids, payload: request });
      } catch (err) {
        finish();
        reject(err as Error);
      }
    });
  }

  /** Opens a bidirectional stream; server messages go to onMessage, its end to onEnd. */
  stream(service: string, method: string, onMessage: (payload: Uint8Array) => void, onEnd: (error: Error | undefined) => void): StreamCall {
    const { ids, key, name } = this.open(service, method);
    const { PacketType } = wireSchema();
    let open = true;
    const end = (error: Error | undefined) => {
      if (!open) return;
      open = false;
      this.calls.delete(key);
      onEnd(error);
    };
    this.calls.set(key, {
      key,
      name,
      onPacket: (packet) => {
        if (packet.type === PacketType.SERVER_STREAM) onMessage(packet.payload ?? new Uint8Array());
        else if (packet.type === PacketType.RESPONSE) end(packet.status ? new RpcError(name, packet.status) : undefined);
        else if (packet.type === PacketType.SERVER_ERROR) end(new RpcError(name, packet.status ?? Status.UNKNOWN));
        else this.stats.unmatched++;
      },
      onClosed: (error) => end(error),
    });
    this.sendPacket({ type: PacketType.REQUEST, ...ids });
    return {
      send: (payload) => {
        if (open) this.sendPacket({ type: PacketType.CLIENT_STREAM, ...ids, payload });
      },
      cancel: () => {
        if (!open) return;
        try {
          this.sendPacket({ type: PacketType.CLIENT_ERROR, ...ids, status: Status.CANCELLED });
        } catch { /* the link is gone: nothing to tell the server */ }
        end(undefined);
      },
    };
  }

  close(): void {
    this.link.close();
  }
}

function keyOf(channel: number, service: number, method: number, callId: number): string {
  return `${channel}/${service >>> 0}/${method >>> 0}/${callId}`;
}
