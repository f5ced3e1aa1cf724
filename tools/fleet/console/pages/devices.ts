// The device list with a search over ID, hardware ID and group.
import type { DeviceRecord } from "../../tables/devices.js";
import { html, type Html } from "../html.js";
import { consolePath, page, when } from "../layout.js";
import type { ConsoleSession } from "../sessions.js";

export function devicesPage(session: ConsoleSession, search: string, devices: readonly DeviceRecord[], limit: number): Html {
  const rows = devices.map((d) => html`<tr><td><code>${d.id}</code></td><td>${d.product}</td><td>${d.hardwareId}</td><td class="n">${d.targetsVersion}</td><td>${d.groups.join(", ")}</td><td>${when(d.lastSeenAt)}</td></tr>`);
  return page("Devices", session, html`<h1>Devices</h1>
<form method="get" action="${consolePath("/devices")}" class="actions">
<input type="search" name="search" value="${search}" placeholder="device ID, hardware ID or group" maxlength="128" aria-label="search devices">
<button type="submit">Search</button></form>
<p class="muted" id="device-count">${devices.length === limit ? `the first ${limit} devices` : `${devices.length} device${devices.length === 1 ? "" : "s"}`}${search ? ` matching “${search}”` : ""}</p>
<table id="devices"><thead><tr><th>device</th><th>product</th><th>hardware</th><th class="n">targets version</th><th>groups</th><th>last seen</th></tr></thead><tbody>${rows}</tbody></table>`);
}
