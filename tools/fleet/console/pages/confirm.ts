// The confirmation step before an operator action: what will happen, an optional reason, and for
// the emergency stop a typed confirmation (the rollout's number), all posted with the CSRF token.
import type { RolloutView } from "../../operator-service.js";
import { html, type Html } from "../html.js";
import { consolePath, csrfField, page } from "../layout.js";
import { waveCounts } from "../rollout-summary.js";
import type { ConsoleSession } from "../sessions.js";
import { VERB_LABELS, type ConsoleVerb } from "../verbs.js";

function consequence(verb: ConsoleVerb, view: RolloutView): Html {
  const { total } = waveCounts(view.waves);
  if (verb === "pause") return html`<p>No device gets the release any more until the rollout is resumed; the ${total.pending + total.downloading + total.installing} devices already given it finish.</p>`;
  if (verb === "resume") return html`<p>Waves go out again. The ${total.failed + total.reverted} failures so far are accepted: only new failures count against the error threshold.</p>`;
  return html`<p><strong>Emergency stop:</strong> no device gets anything more from this rollout, and the ${total.pending + total.downloading} devices that have not started installing are withdrawn. A stopped rollout cannot be resumed.</p>`;
}

export function confirmPage(session: ConsoleSession, verb: ConsoleVerb, view: RolloutView, problem?: string): Html {
  const { rollout } = view;
  const label = VERB_LABELS[verb];
  return page(`${label} rollout ${rollout.id}`, session, html`<h1>${label} rollout ${rollout.id}: ${rollout.name}?</h1>
${problem ? html`<p class="notice error" role="alert">${problem}</p>` : ""}
${consequence(verb, view)}
<form class="stack" method="post" action="${consolePath(`/rollouts/${rollout.id}/${verb}`)}">
${csrfField(session)}
${verb === "stop"
    ? html`<label>Type the rollout's number, <strong>${rollout.id}</strong>, to confirm <input type="text" name="confirm" autocomplete="off" required></label>`
    : html`<input type="hidden" name="confirm" value="${verb}">`}
<label>Reason (optional, kept in the audit log) <input type="text" name="reason" maxlength="500"></label>
<div class="actions"><button type="submit" class="${verb === "stop" ? "danger" : ""}">${label}</button>
<a class="button" href="${consolePath(`/rollouts/${rollout.id}`)}">Cancel</a></div>
</form>`);
}
