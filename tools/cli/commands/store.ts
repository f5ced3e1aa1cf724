// airlock store put|get|serve: the content-addressed artifact store (tools/store/) from the
// command line: what a build uploads, what the signer and the release system fetch by digest.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { InputError, readInput } from "../../format/index.js";
import { ArtifactStore, OBJECTS_DIR, serveStore } from "../../store/index.js";
import type { CliIo } from "../io.js";
import { tcpAddress } from "./options.js";
import { writeOutput, writesFiles } from "./output.js";
import { eventPrinter, listenOrExplain, untilStopped } from "./service.js";

const STORE_OPTION = ["--store <dir>", "the artifact store's directory (created on first put)"] as const;

export function registerStore(program: Command, io: CliIo): void {
  const store = program
    .command("store")
    .description("the content-addressed artifact store: objects named by their SHA-256, never overwritten");

  store
    .command("put")
    .description("store files; prints each one's object name (its SHA-256)")
    .requiredOption(...STORE_OPTION)
    .argument("<file...>", "files to store")
    .option("--json", "print {objects: [{file, sha256, size, written}]}")
    .action((files: string[], options: { store: string; json?: boolean }) => {
      const artifacts = new ArtifactStore(options.store);
      const objects = files.map((file) => ({ file, ...artifacts.put(readInput(file, "the file to store")) }));
      if (options.json) io.out(`${JSON.stringify({ objects })}\n`);
      else for (const o of objects) io.out(`sha256:${o.sha256}  ${o.size} bytes  ${o.file}${o.written ? "" : " (already stored)"}\n`);
    });

  writesFiles(
    store
      .command("get")
      .description("copy an object out of the store, checking its bytes against its name")
      .requiredOption(...STORE_OPTION)
      .argument("<sha256>", "the object's name: 64 hex digits (a sha256: prefix is accepted)")
      .requiredOption("-o, --output <file>", "where to write it"),
  ).action((digest: string, options: { store: string; output: string; force?: boolean; json?: boolean }) => {
    const sha256 = digest.replace(/^sha256:/, "");
    const bytes = new ArtifactStore(options.store).get(sha256);
    writeOutput(options.output, bytes, options);
    io.out(options.json ? `${JSON.stringify({ wrote: resolve(options.output), sha256, size: bytes.length })}\n` : `wrote ${options.output} (${bytes.length} bytes, sha256:${sha256})\n`);
  });

  store
    .command("serve")
    .description(`serve the store read-only over HTTP: GET/HEAD /${OBJECTS_DIR}/<sha256> (Ctrl-C stops it)`)
    .argument("<dir>", "the artifact store's directory")
    .option("--listen <host:port>", "where to listen (port 0 picks a free one)", tcpAddress, { host: "127.0.0.1", port: 8380 })
    .option("--json", "print one JSON line per event ({event, ...}) instead of text")
    .action(async (dir: string, options: { listen: { host: string; port: number }; json?: boolean }) => {
      const say = eventPrinter(io, options.json);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new InputError(`there is no artifact store at ${dir}: give the directory \`airlock store put --store DIR\` filled`);
      }
      const handle = await listenOrExplain(options.listen, () => serveStore(new ArtifactStore(dir), { ...options.listen, log: (line) => say("request", line) }));
      say("listening", `serving ${dir} at ${handle.url}/${OBJECTS_DIR}/ (pid ${process.pid})`, { url: handle.url, pid: process.pid });
      await untilStopped(() => handle.close());
      say("stopped", "stopped");
    });
}
