// A refused or failed console request, as a page (the operator API answers JSON instead).
import { html, type Html } from "../html.js";
import { consolePath, page } from "../layout.js";
import type { ConsoleSession } from "../sessions.js";

export function errorPage(status: number, code: string, message: string, session: ConsoleSession | undefined): Html {
  return page(`Error ${status}`, session, html`<h1>${status === 403 ? "Refused" : "Not done"} (${status} ${code})</h1>
<p class="notice error" role="alert">${message}</p>
<p><a href="${session ? consolePath("/rollouts") : consolePath("/login")}">Back</a></p>`);
}
