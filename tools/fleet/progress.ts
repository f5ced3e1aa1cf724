// A rollout's progression, decided with its row locked (on every device result and on the
// periodic tick): unfinished actions past the per-device timeout become failures; a current wave
// with more failures than its error threshold pauses the rollout; one that reached its success
// threshold and has soaked for the minimum time lets the next wave start (or completes the
// rollout after the last one). Failures present when an operator resumed are accepted: only new
// ones count against the threshold again.
import type { SqlTx } from "./db/driver.js";
import type { Rollout, Wave } from "./model.js";
import { countsByWave, emptyCounts, failuresIn, timeOutActions } from "./tables/actions.js";
import { addAudit, SYSTEM_ACTOR } from "./tables/audit.js";
import { markWaveSucceeded, setCurrentWave, setRolloutState, wavesOf } from "./tables/rollouts.js";

export interface Progression {
  timedOut: number;
  paused?: string;
  wavesStarted: number[];
  completed: boolean;
}

/** Percentage of a wave, against its planned size (an empty wave counts as one device). */
const share = (n: number, wave: Wave) => (n * 100) / Math.max(1, wave.size);

export async function evaluateRollout(tx: SqlTx, rollout: Rollout, now: number): Promise<Progression> {
  const result: Progression = { timedOut: 0, wavesStarted: [], completed: false };
  if (rollout.state === "cancelled" || rollout.state === "stopped") return result;
  result.timedOut = await timeOutActions(tx, rollout.id, now, rollout.policy.deviceTimeoutMs);
  if (rollout.state !== "running") return result;

  const waves = await wavesOf(tx, rollout.id);
  const counts = await countsByWave(tx, rollout.id);
  for (let number = rollout.currentWave; number < waves.length; number++) {
    const wave = waves[number]!;
    const c = counts.get(number) ?? emptyCounts();
    const failures = failuresIn(c) - wave.acceptedFailures;
    if (failures > 0 && share(failures, wave) > rollout.policy.errorPercent) {
      const reason = `wave ${number + 1}: ${failures} of ${wave.size} device(s) failed, reverted or timed out (${share(failures, wave).toFixed(1)}%), above the ${rollout.policy.errorPercent}% error threshold`;
      await setRolloutState(tx, rollout.id, "paused", reason, now);
      await addAudit(tx, now, SYSTEM_ACTOR, "rollout.pause", `rollout/${rollout.id}`, { reason, wave: number + 1, failures });
      result.paused = reason;
      return result;
    }
    let succeededAt = wave.succeededAt;
    if (succeededAt === null) {
      // A wave planned for no device (an empty group) has nothing to wait for.
      if (wave.size > 0 && share(c.installed, wave) < rollout.policy.successPercent) return result;
      succeededAt = now;
      await markWaveSucceeded(tx, rollout.id, number, now);
    }
    if (now < succeededAt + rollout.policy.soakMs) return result;
    if (number === waves.length - 1) {
      await setRolloutState(tx, rollout.id, "completed", `every wave reached ${rollout.policy.successPercent}% and soaked`, now);
      result.completed = true;
      return result;
    }
    await setCurrentWave(tx, rollout.id, number + 1, now);
    result.wavesStarted.push(number + 1);
  }
  return result;
}
