// The operator actions the console offers, the rollout states each applies to (as the operator
// service accepts them), and what the confirmation asks for.
import type { RolloutState } from "../model.js";
import { ROLLOUT_ACTION_FROM } from "../operator-service.js";

export const CONSOLE_VERBS = ["pause", "resume", "stop"] as const;
export type ConsoleVerb = (typeof CONSOLE_VERBS)[number];

export const VERB_LABELS: Record<ConsoleVerb, string> = { pause: "Pause", resume: "Resume", stop: "Emergency stop" };

export function availableVerbs(state: RolloutState): ConsoleVerb[] {
  return CONSOLE_VERBS.filter((verb) => ROLLOUT_ACTION_FROM[verb].includes(state));
}

/**
 * What the confirmation form must carry: pause and resume, the verb (a deliberate second click);
 * the emergency stop, the rollout's number typed by the operator.
 */
export function expectedConfirmation(verb: ConsoleVerb, rolloutId: number): string {
  return verb === "stop" ? String(rolloutId) : verb;
}
