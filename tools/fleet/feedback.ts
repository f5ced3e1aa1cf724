// A device's feedback on its action, as hawkBit's DDI status (execution, result.finished,
// details) with airlock's extension for what a failure was: the agent refused the bundle (its
// error code, e.g. ERR_TARGETS_ROLLBACK) or the new image failed its trial boot and reverted.
//   execution "download"                   -> downloading
//   execution "downloaded" | "proceeding"  -> installing (writing to flash)
//   execution "scheduled" | "resumed"      -> no change (the device is alive)
//   execution "closed", finished "success" -> installed (installed and confirmed)
//   execution "closed", finished "failure" -> refused, or reverted (airlock.outcome)
import type { ActionState } from "./model.js";
import { Refusal } from "./refusal.js";

export interface DdiFeedback {
  time?: string;
  status: {
    execution: "download" | "downloaded" | "proceeding" | "scheduled" | "resumed" | "closed";
    result?: { finished?: "success" | "failure" | "none"; progress?: { cnt?: number; of?: number } };
    code?: number;
    details?: string[];
    airlock?: { outcome?: "refused" | "reverted"; error?: string };
  };
}

export interface FeedbackMeaning {
  /** Undefined: a sign of life that changes nothing. */
  state?: ActionState;
  errorCode?: string;
  details?: string;
}

export function meaningOf(feedback: DdiFeedback): FeedbackMeaning {
  const s = feedback.status;
  const details = s.details && s.details.length > 0 ? s.details.join("; ").slice(0, 2000) : undefined;
  switch (s.execution) {
    case "download":
      return { state: "downloading", details };
    case "downloaded":
    case "proceeding":
      return { state: "installing", details };
    case "scheduled":
    case "resumed":
      return {};
    case "closed": {
      const finished = s.result?.finished;
      if (finished === "success" || finished === "none") {
        if (s.airlock?.outcome !== undefined) throw new Refusal(400, "MALFORMED", `feedback says finished "${finished}" and airlock.outcome "${s.airlock.outcome}": a success has no failure outcome`);
        return { state: "installed", details };
      }
      if (finished !== "failure") throw new Refusal(400, "MALFORMED", `feedback with execution "closed" needs status.result.finished ("success" or "failure")`);
      const outcome = s.airlock?.outcome ?? "refused";
      if (outcome === "refused" && !s.airlock?.error) {
        throw new Refusal(400, "MALFORMED", `a refused update needs the agent's error code in status.airlock.error (e.g. ERR_TARGETS_ROLLBACK)`);
      }
      return { state: outcome, errorCode: s.airlock?.error, details };
    }
  }
}

/** Order of progress: a report that goes backwards (a late, reordered request) changes nothing. */
export const PROGRESS_RANK: Record<ActionState, number> = {
  assigned: 0, downloading: 1, installing: 2, installed: 3, refused: 3, reverted: 3, timed_out: 3, cancelled: 3,
};
