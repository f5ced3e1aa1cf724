// airlock signer watch --queue DIR --buckets DIR: the signing service's end of Pigweed's
// remote_sign.py protocol over directories (tools/signer/pigweed-queue.ts). Only the command
// line: the decision and the signature come from the signing service, which hands its callback
// in through `makeSignBundle` when it registers this verb, so this file knows no policy or key.
import type { Command } from "commander";
import { processQueueOnce, watchQueue, type JobResult, type QueueOptions } from "../../signer/index.js";
import type { CliIo } from "../io.js";
import { integer } from "./options.js";
import { eventPrinter, untilStopped } from "./service.js";

export interface SignerWatchOptions {
  queue: string;
  buckets: string;
  intervalMs: number;
  once?: boolean;
  json?: boolean;
}

export type SignBundleCallback = QueueOptions["signBundle"];

/**
 * Builds the service's callback from the verb's options (these, plus any option the service
 * added to the command, such as its configuration file).
 */
export type MakeSignBundle = (options: SignerWatchOptions & Record<string, unknown>) => SignBundleCallback | Promise<SignBundleCallback>;

function describe(result: JobResult): string {
  if (result.outcome === "signed") return `${result.request}: signed, wrote ${result.output?.bucket}/${result.output?.path}`;
  return `${result.request}: ${result.outcome}: ${result.reason ?? "no reason recorded"} (kept in failed/${result.job})`;
}

/** Adds `watch` under `signerCommand` and returns it, so the service can add its own options. */
export function registerSignerWatch(signerCommand: Command, io: CliIo, makeSignBundle: MakeSignBundle): Command {
  return signerCommand
    .command("watch")
    .description("sign the requests Pigweed's remote_sign.py puts in a directory queue, writing each signed bundle to its output bucket")
    .requiredOption("--queue <dir>", "the input bucket builds upload to (the signer keeps processing/, processed/ and failed/ in it)")
    .requiredOption("--buckets <dir>", "the bucket root: output bucket B is the directory DIR/B")
    .option("--interval-ms <n>", "how often to look for new requests", integer, 1000)
    .option("--once", "process what is waiting and exit")
    .option("--json", "print one JSON line per event ({event, ...}) instead of text")
    .action(async (options: SignerWatchOptions & Record<string, unknown>) => {
      const say = eventPrinter(io, options.json);
      const queue: QueueOptions = {
        queueDir: options.queue,
        bucketRoot: options.buckets,
        signBundle: await makeSignBundle(options),
        log: (result) => say(result.outcome, describe(result), { ...result }),
      };
      if (options.once) {
        await processQueueOnce(queue);
        return;
      }
      const watcher = watchQueue({ ...queue, intervalMs: options.intervalMs });
      say("watching", `watching ${options.queue} for signing requests (pid ${process.pid})`, { queue: options.queue, pid: process.pid });
      await Promise.race([watcher.done, untilStopped(() => watcher.stop())]);
      say("stopped", "stopped");
    });
}
