// The demo's long-running services (signer, release repository, rollout service, a device on a
// wire), each a real `airlock ... serve --json` process as a user would start it. Each resolves
// once it prints its "listening" event; `stopServices` ends every one started, and the demo calls
// it on every exit path (success, failure, Ctrl-C), so nothing is left running.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const BIN = fileURLToPath(new URL("../../../bin/airlock.js", import.meta.url));
const running: { name: string; child: ChildProcess }[] = [];

export interface Service {
  name: string;
  pid: number;
  /** The "listening" event: url and/or port. */
  url?: string;
  port?: number;
  /** Every event line it printed so far. */
  events: Record<string, unknown>[];
}

/** Starts `airlock <args> --json` and waits for its `ready` event; its stderr is kept for the error. */
export async function startService(name: string, args: string[], ready = "listening"): Promise<Service> {
  console.log(`$ airlock ${args.join(" ")} &`);
  const child = spawn(process.execPath, [BIN, ...args, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  running.push({ name, child });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const events: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stdout! });
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    // The stdout pipe is read for the service's whole life: a full pipe would stall it.
    lines.on("line", (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      events.push(event);
      if (event.event === ready) resolve(event);
    });
    child.once("exit", (code) => reject(new Error(`${name} ended (exit ${code}) before it was ready: ${stderr.trim() || "no message"}`)));
  });
  const service: Service = { name, pid: child.pid!, url: listening.url as string | undefined, port: listening.port as number | undefined, events };
  console.log(`-> ${name} ${ready === "listening" ? "listening" : "running"}${service.url ? ` at ${service.url}` : service.port ? ` on port ${service.port}` : ""} (pid ${service.pid})`);
  return service;
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Stops one service (SIGTERM: a device saves its flash) and waits for it to exit. */
export async function stopService(service: Service): Promise<void> {
  const at = running.findIndex((r) => r.child.pid === service.pid);
  if (at >= 0) await end(running.splice(at, 1)[0]!.child);
}

/** Stops every service started (SIGTERM, then SIGKILL after 5 s) and waits for each to exit. */
export async function stopServices(): Promise<void> {
  await Promise.all(running.splice(0).map(({ child }) => end(child)));
}

/** Kills what is left if the demo process itself is ended. */
export function stopServicesOnExit(): void {
  process.once("exit", () => {
    for (const { child } of running) if (child.exitCode === null) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stopServices().finally(() => process.exit(130));
    });
  }
}
