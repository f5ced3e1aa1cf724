// Pins this process (every thread) to one CPU with taskset, so the agent and the OpenSSL child it
// starts (children inherit the affinity) run on the same core: on a shared 2-core machine the
// two would otherwise land on different cores with different neighbours, and their ratio swings.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

/** What was pinned, in words for the benchmark header. */
export function pinToOneCpu(): string {
  const cpu = availableParallelism() - 1;
  const run = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(process.pid)], { encoding: "utf8" });
  if (run.error) return "not pinned (taskset not found: install util-linux); ratios may swing between runs";
  if (run.status !== 0) return `not pinned (taskset failed: ${(run.stderr || "").trim().split("\n")[0]}); ratios may swing between runs`;
  return `this process and its OpenSSL children pinned to CPU ${cpu} (taskset)`;
}
