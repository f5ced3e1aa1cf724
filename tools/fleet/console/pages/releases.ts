// Releases by channel, from each channel's index as verified for a rollout (trusted release key,
// right channel, not expired, not older than an index a rollout used); a refused index says why.
import type { ChannelView } from "../../operator-service.js";
import { html, type Html } from "../html.js";
import { page } from "../layout.js";
import type { ConsoleSession } from "../sessions.js";

function channelSection(c: ChannelView): Html {
  if (c.refused !== undefined) return html`<section data-channel="${c.channel}"><h2>${c.channel}</h2><p class="notice error">refused: ${c.refused}</p></section>`;
  if (!c.index) return html`<section data-channel="${c.channel}"><h2>${c.channel}</h2><p class="muted">nothing published</p></section>`;
  const rows = c.index.releases.map((r) => html`<tr><td>${r.product}</td><td>${r.hardwareId ?? "any"}</td><td class="n">${r.targetsVersion}</td><td><code title="${r.bundle.sha256}">${r.bundle.sha256.slice(0, 16)}…</code></td><td class="n">${r.bundle.size}</td><td>${r.publishedAt}</td></tr>`);
  return html`<section data-channel="${c.channel}"><h2>${c.channel} <span class="muted">index v${c.index.version}, issued ${c.index.issuedAt}, expires ${c.index.expires}</span></h2>
<table><thead><tr><th>product</th><th>hardware</th><th class="n">targets version</th><th>bundle</th><th class="n">bytes</th><th>published</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function releasesPage(session: ConsoleSession, channels: readonly ChannelView[]): Html {
  return page("Releases", session, html`<h1>Releases by channel</h1>${channels.map(channelSection)}`);
}
