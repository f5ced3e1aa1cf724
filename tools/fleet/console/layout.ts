// The frame of every console page: the navigation, who is signed in (with the sign-out form,
// which carries the CSRF token like every form), and the page's content.
import { html, type Html, type HtmlValue } from "./html.js";
import type { ConsoleSession } from "./sessions.js";

export const CONSOLE_PREFIX = "/console";

export const consolePath = (path: string) => `${CONSOLE_PREFIX}${path}`;

export function csrfField(session: ConsoleSession): Html {
  return html`<input type="hidden" name="csrf" value="${session.csrfToken}">`;
}

export function when(ms: number | null): string {
  return ms === null ? "–" : new Date(ms).toISOString().replace(".000Z", "Z");
}

export function page(title: string, session: ConsoleSession | undefined, content: HtmlValue): Html {
  const nav = session
    ? html`<nav><a href="${consolePath("/rollouts")}">Rollouts</a><a href="${consolePath("/releases")}">Releases</a><a href="${consolePath("/devices")}">Devices</a></nav>
<span class="who">${session.operator.name} (${session.operator.role})</span>
<form method="post" action="${consolePath("/logout")}">${csrfField(session)}<button type="submit">Sign out</button></form>`
    : html`<nav></nav>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · airlock rollouts</title><link rel="stylesheet" href="${consolePath("/style.css")}"></head>
<body><header><strong>airlock rollouts</strong>${nav}</header>
<main>${content}</main></body></html>`;
}
