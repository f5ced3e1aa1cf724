// What the long-running verbs (`sim serve`, `store serve`) share: one line per event, as text or
// as a JSON object, and running until SIGINT or SIGTERM, then closing cleanly.
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
