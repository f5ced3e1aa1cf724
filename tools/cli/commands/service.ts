// What the long-running verbs (`sim serve`, `store serve`) share: one line per event, as text or
// as a JSON object, and running until SIGINT or SIGTERM, then closing cleanly.
import { InputError } from "../../format/index.js";
import type { CliIo } from "../io.js";

export type Say = (event: string, text: string, extra?: Record<string, unknown>) => void;

export function eventPrinter(io: CliIo, json: boolean | undefined): Say {
  return (event, text, extra = {}) => io.out(json ? `${JSON.stringify({ event, message: text, ...extra })}\n` : `${text}\n`);
}

/** Resolves once SIGINT or SIGTERM arrived and `close` finished. */
export function untilStopped(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => void close().then(resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** Starts a server; a failure to listen is an input error naming the address and the fix. */
export async function listenOrExplain<T>(listen: { host: string; port: number }, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot listen on ${listen.host}:${listen.port} (${code ?? String(err)}): ${code === "EADDRINUSE" ? "something else listens there; pick another --listen port" : "check the address"}`,
    );
  }
}
