// `airlock sim serve --json` as its own process, as a user runs it: resolves with its port once it
// listens, with every event it printed; `stopAll` kills every one started.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { BIN } from "./cli-run.js";

const servers: ChildProcess[] = [];

export interface SimServe {
  port: number;
  child: ChildProcess;
  events: { event: string; message: string }[];
}

export async function simServe(flash: string, ...extra: string[]): Promise<SimServe> {
  const child = spawn(process.execPath, [BIN, "sim", "serve", "--flash", flash, "--tcp", "127.0.0.1:0", "--json", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  servers.push(child);
  const events: { event: string; message: string; port?: number }[] = [];
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on("line", (line) => {
      const event = JSON.parse(line) as { event: string; message: string; port?: number };
      events.push(event);
      if (event.event === "listening") resolve(event.port!);
    });
    child.once("exit", (code) => reject(new Error(`sim serve exited ${code}`)));
  });
  return { port, child, events };
}

export function stopAllSimServes(): void {
  for (const s of servers.splice(0)) s.kill("SIGKILL");
}
