// A stacked progress bar as inline SVG (rect widths are attributes, so the Content-Security-Policy
// needs no inline styles): installed, failed, reverted, in progress and withdrawn, in shares of
// the planned devices; the rest stays grey.
import { html, type Html } from "./html.js";
import { installedPercent, type DisplayCounts } from "./rollout-summary.js";

export function progressBar(c: DisplayCounts): Html {
  const segments: [string, number][] = [
    ["installed", c.installed],
    ["failed", c.failed],
    ["reverted", c.reverted],
    ["busy", c.pending + c.downloading + c.installing],
    ["cancelled", c.cancelled],
  ];
  let x = 0;
  const rects = segments.map(([cls, n]) => {
    const width = c.planned === 0 ? 0 : (100 * n) / c.planned;
    const rect = html`<rect class="${cls}" x="${x.toFixed(2)}%" y="0" width="${width.toFixed(2)}%" height="100%"></rect>`;
    x += width;
    return rect;
  });
  const label = `${c.installed} of ${c.planned} installed (${installedPercent(c)}%)`;
  return html`<svg class="bar" role="img" aria-label="${label}" data-installed-percent="${installedPercent(c)}"><title>${label}</title><rect x="0" y="0" width="100%" height="100%"></rect>${rects}</svg>`;
}
