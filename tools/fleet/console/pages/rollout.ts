// One rollout: its release, state, waves with counts per state and a progress bar each, the
// devices that failed with their error, and (for operators) the buttons that lead to the
// confirmation of pause, resume or emergency stop.
import type { RolloutView } from "../../operator-service.js";
import { html, type Html } from "../html.js";
import { consolePath, page, when } from "../layout.js";
import { progressBar } from "../progress-bar.js";
import { installedPercent, waveCounts, type DisplayCounts } from "../rollout-summary.js";
import type { ConsoleSession } from "../sessions.js";
import { availableVerbs, VERB_LABELS } from "../verbs.js";
import { stateBadge } from "./rollouts.js";

const COLUMNS: [keyof DisplayCounts, string][] = [
  ["planned", "planned"],
  ["notGiven", "not given yet"],
  ["pending", "pending"],
  ["downloading", "downloading"],
  ["installing", "installing"],
  ["installed", "installed"],
  ["failed", "failed"],
  ["reverted", "reverted"],
  ["cancelled", "withdrawn"],
];

function countCells(c: DisplayCounts): Html {
  return html`${COLUMNS.map(([key]) => html`<td class="n" data-count="${key}">${c[key]}</td>`)}`;
}

export function rolloutPage(session: ConsoleSession, view: RolloutView, notice?: string): Html {
  const { rollout } = view;
  const { perWave, total } = waveCounts(view.waves);
  const verbs = session.operator.role === "operator" ? availableVerbs(rollout.state) : [];
  const waveRows = view.waves.map((w, i) => html`<tr data-wave="${w.number + 1}">
<td>${w.number + 1}${w.number === rollout.currentWave ? " (current)" : ""}</td><td>${w.groups ? `groups ${w.groups.join(", ")}` : `${w.percent}%`}</td>
${countCells(perWave[i]!)}<td class="bar-cell">${progressBar(perWave[i]!)}</td></tr>`);
  const failing = view.failing.map((a) => html`<tr><td><code>${a.deviceId}</code></td><td class="n">${a.wave + 1}</td><td>${a.state}</td><td><code>${a.errorCode ?? ""}</code></td><td>${a.details ?? ""}</td><td>${when(a.updatedAt)}</td></tr>`);
  return page(rollout.name, session, html`<h1>Rollout ${rollout.id}: ${rollout.name} ${stateBadge(rollout.state)}</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ""}
${rollout.stateReason ? html`<p class="notice" id="state-reason">${rollout.stateReason}</p>` : ""}
<table><tbody>
<tr><th>release</th><td>${rollout.product} targets version ${rollout.targetsVersion} from channel ${rollout.channel} (index v${rollout.indexVersion})${rollout.releaseHardwareId ? ` for ${rollout.releaseHardwareId}` : ""}${rollout.emergency ? " · emergency" : ""}</td></tr>
<tr><th>bundle</th><td><code>${rollout.bundle.sha256}</code> (${rollout.bundle.size} bytes)</td></tr>
<tr><th>thresholds</th><td>success ${rollout.policy.successPercent}% · error above ${rollout.policy.errorPercent}% pauses · soak ${Math.round(rollout.policy.soakMs / 60_000)} min · device timeout ${Math.round(rollout.policy.deviceTimeoutMs / 60_000)} min</td></tr>
<tr><th>created</th><td>${when(rollout.createdAt)} by ${rollout.createdBy} · updated ${when(rollout.updatedAt)}</td></tr>
</tbody></table>
<h2>Progress</h2>
<div id="progress" data-installed-percent="${installedPercent(total)}">${progressBar(total)}<p>${total.installed} of ${total.planned} devices installed (${installedPercent(total)}%)</p></div>
${verbs.length > 0 ? html`<div class="actions">${verbs.map((verb) => html`<a class="button${verb === "stop" ? " danger" : ""}" href="${consolePath(`/rollouts/${rollout.id}/${verb}`)}">${VERB_LABELS[verb]}…</a>`)}</div>` : ""}
<h2>Waves</h2>
<table id="waves"><thead><tr><th>wave</th><th>devices</th>${COLUMNS.map(([, label]) => html`<th class="n">${label}</th>`)}<th>progress</th></tr></thead>
<tbody>${waveRows}</tbody>
<tfoot><tr data-wave="total"><th colspan="2">total</th>${countCells(total)}<td></td></tr></tfoot></table>
<h2>Failing devices</h2>
${view.failing.length === 0 ? html`<p class="muted">None.</p>` : html`<table id="failing"><thead><tr><th>device</th><th class="n">wave</th><th>state</th><th>error</th><th>details</th><th>when</th></tr></thead><tbody>${failing}</tbody></table>`}`);
}
