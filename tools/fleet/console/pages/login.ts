// Sign-in: the operator's token (airlock fleet token create) in a password field, posted once.
import { html, type Html } from "../html.js";
import { consolePath, page } from "../layout.js";

export function loginPage(problem?: string): Html {
  return page("Sign in", undefined, html`<h1>Sign in</h1>
${problem ? html`<p class="notice error" role="alert">${problem}</p>` : ""}
<form class="stack" method="post" action="${consolePath("/login")}">
<label>Operator token <input type="password" name="token" autocomplete="off" required></label>
<p class="muted">The token from <code>airlock fleet token create NAME --role operator|viewer</code>.</p>
<button type="submit">Sign in</button>
</form>`);
}
