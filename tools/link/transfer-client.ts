// The pw_transfer version 2 write (upload) client. A session: START (resource, desired session
// ID, version 2, initial_offset when resuming) -> the server's START_ACK -> START_ACK_CONFIRMATION
// -> the server's parameters (offset, window_end_offset, max_chunk_size_bytes) -> DATA chunks
// within the window, rewinding on PARAMETERS_RETRANSMIT and extending on PARAMETERS_CONTINUE ->
// the server's COMPLETION (answered with COMPLETION_ACK). Timeouts and retries are Pigweed's
// defaults (pw_transfer/py/pw_transfer/client.py: 2 s per chunk, 4 s for the first, 3 retries):
// after a timeout the client sends its last chunk again, so the server can say where it is.
import { wireSchema, encode, decode } from "./proto.js";
import { statusName, Status } from "./status.js";
import { RpcError, type RpcClient, type StreamCall } from "./rpc-client.js";

export const TRANSFER_SERVICE = "pw.transfer.Transfer";
export const PROTOCOL_VERSION = 2;
export const DEFAULT_CHUNK_TIMEOUT_MS = 2000;
export const DEFAULT_INITIAL_TIMEOUT_MS = 4000;
export const DEFAULT_MAX_RETRIES = 3;

export interface Chunk {
  transfer_id?: number;
  max_chunk_size_bytes?: number;
  offset?: number;
  data?: Uint8Array;
  remaining_bytes?: number;
  status?: number;
  window_end_offset?: number;
  type?: number;
  resource_id?: number;
  session_id?: number;
  protocol_version?: number;
  desired_session_id?: number;
  initial_offset?: number;
}

export interface WriteOptions {
  /** Ask the server to continue from here (it may answer with its own offset instead). */
  initialOffset?: number;
  onProgress?(sent: number, total: number): void;
  /** Data bytes put on the wire (retransmissions included). */
  onDataSent?(bytes: number): void;
  chunkTimeoutMs?: number;
  initialTimeoutMs?: number;
  maxRetries?: number;
}

/** The transfer ended without success: the server's status, or a timeout naming the step. */
export class TransferError extends Error {
  constructor(message: string, readonly status: number, readonly step: string, readonly offset: number) {
    super(message);
    this.name = "TransferError";
  }
}

type Step = "start" | "confirm" | "data" | "completion";

export class TransferClient {
  // Session IDs one byte long on the wire (every chunk carries one), counted up per session.
  private nextSession = 1 + Math.floor(Math.random() * 100);

  constructor(readonly rpc: RpcClient) {}

  /** Uploads data to resourceId; resolves when the server reports COMPLETION OK. */
  write(resourceId: number, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const { Chunk: ChunkType, ChunkType: T } = wireSchema();
    const clock = this.rpc.clock;
    const chunkTimeout = options.chunkTimeoutMs ?? DEFAULT_CHUNK_TIMEOUT_MS;
    const initialTimeout = options.initialTimeoutMs ?? DEFAULT_INITIAL_TIMEOUT_MS;
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const session = this.nextSession;
    this.nextSession = this.nextSession >= 127 ? 1 : this.nextSession + 1;
    const link = this.rpc.link.description;

    return new Promise<void>((resolve, reject) => {
      let step: Step = "start";
      let offset = 0; // next byte to send
      let windowEnd = 0;
      let maxChunk = 0;
      let retries = 0;
      let last: Chunk | undefined; // the last chunk sent, for a retry
      let cancelTimer = () => {};
      let done = false;
      let call: StreamCall | undefined;

      const send = (chunk: Chunk) => {
        last = chunk;
        call!.send(encode(ChunkType, chunk as Record<string, unknown>));
      };
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        cancelTimer();
        call?.cancel();
        if (error) reject(error);
        else resolve();
      };
      const fail = (status: number, message: string) => {
        // Tell the server the session is over, so it does not wait for its own timeout.
        try {
          send({ type: T.COMPLETION, session_id: session, status });
        } catch { /* the link is gone */ }
        finish(new TransferError(message, status, step, offset));
      };
      const arm = (ms: number) => {
        cancelTimer();
        cancelTimer = clock.after(ms, () => {
          if (done) return;
          if (retries >= maxRetries || !last) {
            fail(Status.DEADLINE_EXCEEDED, `transfer to ${link} timed out waiting for the device (${stepName(step)}) after ${retries + 1} tries of ${ms} ms`);
            return;
          }
          retries++;
          send(last);
          arm(ms);
        });
      };
      const sendWindow = () => {
        while (offset < windowEnd && offset < data.length) {
          const end = Math.min(offset + maxChunk, windowEnd, data.length);
          const chunk: Chunk = { type: T.DATA, session_id: session, offset, data: data.subarray(offset, end) };
          if (end === data.length) chunk.remaining_bytes = 0;
          send(chunk);
          options.onDataSent?.(end - offset);
          offset = end;
          options.onProgress?.(offset, data.length);
        }
        if (offset === data.length && data.length === 0) send({ type: T.DATA, session_id: session, offset, remaining_bytes: 0 });
        if (offset >= data.length) step = "completion";
        arm(chunkTimeout);
      };
      const onChunk = (chunk: Chunk) => {
        if (done) return;
        if ((chunk.session_id ?? 0) !== session && chunk.type !== T.START_ACK) return; // another session's
        retries = 0;
        switch (chunk.type) {
          case T.START_ACK:
            if (chunk.session_id !== session) return;
            if (step !== "start" && step !== "confirm") return;
            step = "confirm";
            send({ type: T.START_ACK_CONFIRMATION, session_id: session, protocol_version: PROTOCOL_VERSION });
            arm(chunkTimeout);
            return;
          case T.PARAMETERS_RETRANSMIT:
          case T.PARAMETERS_CONTINUE: {
            const at = chunk.offset ?? 0;
            if (at > data.length) {
              fail(Status.OUT_OF_RANGE, `the device asked for bytes from offset ${at}, past the end of the ${data.length}-byte bundle`);
              return;
            }
            maxChunk = Math.max(1, chunk.max_chunk_size_bytes ?? maxChunk ?? 1);
            windowEnd = chunk.window_end_offset ?? 0;
            if (chunk.type === T.PARAMETERS_RETRANSMIT || at > offset) offset = at;
            step = "data";
            sendWindow();
            return;
          }
          case T.COMPLETION: {
            const status = chunk.status ?? Status.UNKNOWN;
            try {
              call!.send(encode(ChunkType, { type: T.COMPLETION_ACK, session_id: session }));
            } catch { /* the link is gone: the server's timeout ends its side */ }
            if (status === Status.OK) {
              options.onProgress?.(data.length, data.length);
              finish();
            } else {
              finish(new TransferError(`the device ended the transfer: ${statusName(status)}`, status, step, offset));
            }
            return;
          }
          default:
            return;
        }
      };

      try {
        call = this.rpc.stream(
          TRANSFER_SERVICE,
          "Write",
          (payload) => {
            let chunk: Chunk;
            try {
              chunk = decode<Chunk>(ChunkType, payload);
            } catch {
              return; // a chunk that does not decode: a retry or the timeout covers it
            }
            onChunk(chunk);
          },
          (error) => {
            if (done) return;
            // A device that reset has no stream for us any more (SERVER_ERROR FAILED_PRECONDITION):
            // the transfer failed, and a new session can resume it. A closed link stays itself.
            if (error instanceof RpcError) finish(new TransferError(`the device ended the transfer stream: ${statusName(error.status)} (${stepName(step)})`, error.status, step, offset));
            else finish(error ?? new TransferError(`the device closed the transfer stream (${stepName(step)})`, Status.ABORTED, step, offset));
          },
        );
        const start: Chunk = {
          type: T.START,
          resource_id: resourceId,
          desired_session_id: session,
          protocol_version: PROTOCOL_VERSION,
        };
        if (options.initialOffset) start.initial_offset = options.initialOffset;
        send(start);
        arm(initialTimeout);
      } catch (err) {
        finish(err as Error);
      }
    });
  }

  /** Transfer.GetResourceStatus: how much of the resource the device holds. */
  async resourceStatus(resourceId: number, timeoutMs = DEFAULT_CHUNK_TIMEOUT_MS): Promise<{ status: number; writeableOffset: number }> {
    const { ResourceStatusRequest, ResourceStatus } = wireSchema();
    const reply = await this.rpc.unary(TRANSFER_SERVICE, "GetResourceStatus", encode(ResourceStatusRequest, { resource_id: resourceId }), timeoutMs);
    const status = decode<{ status?: number; writeable_offset?: number }>(ResourceStatus, reply.payload);
    return { status: status.status ?? Status.OK, writeableOffset: status.writeable_offset ?? 0 };
  }
}

function stepName(step: Step): string {
  return {
    start: "START_ACK after START",
    confirm: "parameters after START_ACK_CONFIRMATION",
    data: "parameters or completion after a data window",
    completion: "COMPLETION after the last chunk",
  }[step];
}
