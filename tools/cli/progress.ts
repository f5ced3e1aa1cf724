// Progress of long work (a simulated update's transfer, verify, apply; bundle create's hash and
// write passes) as bars on a terminal, drawn with
// cli-progress; nothing at all when stderr is not a terminal, so scripts and CI logs stay clean.
import cliProgress from "cli-progress";
import type { CliIo } from "./io.js";

export type UpdatePhase = "transfer" | "verify" | "apply" | "hash" | "write" | "download";

export interface ProgressReporter {
  /** `done` of `total` units of `phase` are complete. */
  update(phase: UpdatePhase, done: number, total: number): void;
  /** Every phase ended successfully: fill the bars (the agent's last report may precede the end). */
  finish(): void;
  /** Removes the bars' timers; call once, on success or failure. */
  stop(): void;
}

const LABELS: Record<UpdatePhase, string> = { transfer: "transfer", verify: "verify  ", apply: "apply   ", hash: "hash    ", write: "write   ", download: "download" };

const QUIET: ProgressReporter = { update() {}, finish() {}, stop() {} };

/** Bars on the terminal if `io` is one, else a reporter that prints nothing. */
export function progressFor(io: CliIo): ProgressReporter {
  if (!io.isTTY || !io.progressStream) return QUIET;
  const bars = new cliProgress.MultiBar(
    {
      stream: io.progressStream,
      format: "{phase} [{bar}] {percentage}% | {value}/{total} bytes | {rate} | ETA {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
      fps: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = new Map<UpdatePhase, cliProgress.SingleBar>();
  const startedAt = new Map<UpdatePhase, number>();
  const rateOf = (phase: UpdatePhase, done: number) => {
    const seconds = (performance.now() - (startedAt.get(phase) ?? performance.now())) / 1000;
    const perSecond = seconds > 0.05 ? done / seconds : 0;
    return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(1)} MB/s` : `${(perSecond / 1e3).toFixed(1)} kB/s`;
  };
  return {
    update(phase, done, total) {
      let bar = started.get(phase);
      if (!bar) {
        bar = bars.create(Math.max(total, 1), 0, { phase: LABELS[phase], rate: "" });
        started.set(phase, bar);
        startedAt.set(phase, performance.now());
      }
      // A phase that has ended reports 0 of 0: keep what the bar last showed.
      if (total <= 0) return;
      bar.setTotal(total);
      bar.update(Math.min(done, total), { rate: rateOf(phase, Math.min(done, total)) });
    },
    finish() {
      for (const bar of started.values()) bar.update(bar.getTotal());
    },
    stop() {
      bars.stop();
    },
  };
}
