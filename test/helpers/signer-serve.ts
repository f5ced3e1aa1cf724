// `airlock signer serve --json` as its own process, as a team runs it: resolves once it listens
// with its URL; `stop` ends it with SIGTERM and waits. Its stdout is read for the service's whole
// life, since a closed pipe would end the service at its next log line.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { BIN } from "./cli-run.js";

export interface SignerServe {
  url: string;
  stop(): Promise<void>;
}

export function signerServe(policy: string): Promise<SignerServe> {
  const child = spawn(process.execPath, [BIN, "signer", "serve", "--config", policy, "--listen", "127.0.0.1:0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
      const line = stdout.split("\n").find((l) => l.includes('"event":"listening"'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, stop });
    });
    child.on("exit", () => reject(new Error(`signer serve ended before listening: ${stderr}`)));
  });
}
