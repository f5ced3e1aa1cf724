// HTTP GETs as a device's update client makes them, with Node's fetch (undici): the small channel
// index read whole under a size bound, and a bundle streamed into a buffer of exactly the size the
// signed index names. A download that breaks goes on from the byte it reached (RFC 9110 Range);
// 5xx answers and broken connections are retried a bounded number of times; more bytes than the
// index names, or an object of another size, are refused at once (nothing a retry can fix).
import { RejectedError } from "../format/index.js";

export interface RetryOptions {
  /** Tries in a row that bring no new byte before giving up. */
  attempts?: number;
  /** Pause before a retry, doubled each time. */
  retryDelayMs?: number;
  /** A response that sends nothing for this long is dropped (a stalled server) and retried. */
  idleTimeoutMs?: number;
}

const DEFAULTS = { attempts: 4, retryDelayMs: 100, idleTimeoutMs: 30_000 };
/** However much progress each try makes, a download ends after this many requests. */
const MAX_REQUESTS = 64;

export interface Transfer {
  bytes: Uint8Array;
  /** HTTP requests made (1 when nothing broke). */
  requests: number;
  /** Body bytes received, counting any received again after a restart. */
  bytesReceived: number;
}

class Retry extends Error {}

/** Runs one request with a stall timer that `touch` resets; the timer's abort is a Retry. */
async function withIdleTimer<T>(idleMs: number, run: (signal: AbortSignal, touch: () => void) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Retry(`nothing arrived for ${idleMs} ms (the server stalled)`)), idleMs);
  };
  touch();
  try {
    return await run(controller.signal, touch);
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof Retry) return err.message;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause instanceof Retry) return cause.message;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small document (the channel index), read whole; undefined on 404. */
export async function fetchDocument(url: string, maxBytes: number, options: RetryOptions = {}): Promise<string | undefined> {
  const o = { ...DEFAULTS, ...options };
  let last = "";
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (attempt > 1) await sleep(o.retryDelayMs * 2 ** (attempt - 2));
    try {
      return await withIdleTimer(o.idleTimeoutMs, async (signal, touch) => {
        // no-cache: a CDN or proxy on the way must ask the origin, or a client could be kept on an old index.
        const res = await fetch(url, { signal, headers: { "Cache-Control": "no-cache" } });
        if (res.status === 404) {
          await res.body?.cancel();
          return undefined;
        }
        if (res.status >= 500) {
          await res.body?.cancel();
          throw new Retry(`the server answered ${res.status} ${res.statusText}`);
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          throw new RejectedError(`${url}: the server answered ${res.status} ${res.statusText}`);
        }
        const chunks: Uint8Array[] = [];
        let size = 0;
        for await (const chunk of res.body ?? []) {
          touch();
          size += chunk.length;
          if (size > maxBytes) throw new RejectedError(`${url} is larger than ${maxBytes} bytes: not a channel index`);
          chunks.push(chunk);
        }
        return Buffer.concat(chunks).toString("utf8");
      });
    } catch (err) {
      if (err instanceof RejectedError) throw err;
      last = reasonOf(err);
    }
  }
  throw new RejectedError(`cannot fetch ${url} after ${o.attempts} tries: ${last}`);
}

/**
 * Downloads exactly `size` bytes from `url`, resuming with Range requests; the caller checks the
 * digest. onProgress gets the bytes held so far.
 */
export async function downloadExact(url: string, size: number, options: RetryOptions & { onProgress?: (held: number, total: number) => void } = {}): Promise<Transfer> {
  const o = { ...DEFAULTS, ...options };
  const bytes = new Uint8Array(size);
  let held = 0;
  let requests = 0;
  let bytesReceived = 0;
  let triesWithoutProgress = 0;
  let last = "";
  while (held < size) {
    if (triesWithoutProgress >= o.attempts || requests >= MAX_REQUESTS) {
      throw new RejectedError(`download of ${url} failed: ${held} of ${size} bytes after ${requests} requests; last: ${last}`);
    }
    if (requests > 0) await sleep(o.retryDelayMs * 2 ** Math.max(0, triesWithoutProgress - 1));
    requests++;
    const before = held;
    try {
      await withIdleTimer(o.idleTimeoutMs, async (signal, touch) => {
        const res = await fetch(url, { signal, headers: held > 0 ? { Range: `bytes=${held}-` } : {} });
        if (res.status >= 500) {
          await res.body?.cancel();
          throw new Retry(`the server answered ${res.status} ${res.statusText}`);
        }
        if (res.status === 404) {
          await res.body?.cancel();
          throw new RejectedError(`${url}: the server has no such object (404), though the signed index names it: the repository is incomplete`);
        }
        let expected: number; // bytes this response should carry
        if (res.status === 206 && held > 0) {
          const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
          if (!range || Number(range[1]) !== held) {
            await res.body?.cancel();
            throw new Retry(`the server answered the range request from byte ${held} with Content-Range "${res.headers.get("content-range")}"`);
          }
          if (range[3] !== "*" && Number(range[3]) !== size) throw wrongSize(url, Number(range[3]), size);
          expected = Number(range[2]) + 1 - held;
        } else if (res.status === 200) {
          held = 0; // the server ignored the range: it sends the whole object again
          expected = size;
        } else {
          await res.body?.cancel();
          throw new RejectedError(`${url}: the server answered ${res.status} ${res.statusText}`);
        }
        const length = res.headers.get("content-length");
        if (length !== null && res.status === 200 && Number(length) !== size) {
          await res.body?.cancel();
          throw wrongSize(url, Number(length), size);
        }
        if (held + expected > size) throw wrongSize(url, held + expected, size);
        for await (const chunk of res.body ?? []) {
          touch();
          bytesReceived += chunk.length;
          if (held + chunk.length > size) {
            throw new RejectedError(`${url} sent more than the ${size} bytes the signed index names (extra bytes refused; nothing was installed)`);
          }
          bytes.set(chunk, held);
          held += chunk.length;
          o.onProgress?.(held, size);
        }
        if (held < size) throw new Retry(`the response ended after ${held} of ${size} bytes (truncated)`);
      });
    } catch (err) {
      if (err instanceof RejectedError) throw err;
      last = reasonOf(err);
    }
    triesWithoutProgress = held > before ? 0 : triesWithoutProgress + 1;
  }
  return { bytes, requests, bytesReceived };
}

function wrongSize(url: string, served: number, size: number): RejectedError {
  return new RejectedError(`${url} is ${served} bytes, the signed index says ${size}: the object is not the one published (nothing was installed)`);
}
