// Timing helpers: operations per CPU second over a time box, and medians of several rounds.

/** This process's CPU time (user + system, all threads) in milliseconds. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Operations per second of CPU time: runs `op` in batches (to keep the clock out of the loop)
 * until about `ms` of this process's CPU time has passed. CPU time rather than wall time, as
 * `openssl speed` measures by default, so other processes competing for the cores (a shared CI
 * machine) do not distort the comparison.
 */
export function perSecond(op: () => void, ms: number, batch = 10): number {
  const start = cpuMs();
  let done = 0;
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) op();
    done += batch;
    now = cpuMs();
  }
  return done / ((now - start) / 1000);
}

/**
 * perSecond for an asynchronous operation, awaited one at a time (as a service signs one request
 * after another). CPU time still: it counts the thread pool too, where pkcs11js runs C_Sign.
 */
export async function perSecondAsync(op: () => Promise<unknown>, ms: number, batch = 10): Promise<number> {
  const start = cpuMs();
  let done = 0;
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) await op();
    done += batch;
    now = cpuMs();
  }
  return done / ((now - start) / 1000);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median over rounds of agent[i] / reference[i]: each ratio pairs measurements taken together. */
export function ratioOfRounds(agent: number[], reference: number[]): number {
  return median(agent.slice(0, reference.length).map((a, i) => a / reference[i]!));
}

/** Per-round ratios agent[i] / reference[i]: their min, median and max show how steady the run was. */
export function ratioSpread(agent: number[], reference: number[]): { min: number; median: number; max: number; rounds: number } {
  const ratios = agent.slice(0, reference.length).map((a, i) => a / reference[i]!);
  return { min: Math.min(...ratios), median: median(ratios), max: Math.max(...ratios), rounds: ratios.length };
}
