// Every rollout, newest first, with its state and where it stands.
import type { Rollout } from "../../model.js";
import { html, type Html } from "../html.js";
import { consolePath, page, when } from "../layout.js";
import type { ConsoleSession } from "../sessions.js";

export function stateBadge(state: string): Html {
  return html`<span class="state state-${state}">${state}</span>`;
}

export function rolloutsPage(session: ConsoleSession, rollouts: readonly Rollout[]): Html {
  const rows = rollouts.map((r) => html`<tr>
<td class="n">${r.id}</td><td><a href="${consolePath(`/rollouts/${r.id}`)}">${r.name}</a>${r.emergency ? html` <strong>(emergency)</strong>` : ""}</td>
<td>${r.channel}</td><td>${r.product}</td><td class="n">${r.targetsVersion}</td><td>${stateBadge(r.state)}</td><td class="n">${r.currentWave + 1}</td><td>${when(r.createdAt)}</td></tr>`);
  return page("Rollouts", session, html`<h1>Rollouts</h1>
${rollouts.length === 0
    ? html`<p class="muted">No rollout yet: <code>airlock fleet rollout create</code> makes one.</p>`
    : html`<table><thead><tr><th class="n">#</th><th>name</th><th>channel</th><th>product</th><th class="n">targets version</th><th>state</th><th class="n">wave</th><th>created</th></tr></thead><tbody>${rows}</tbody></table>`}`);
}
