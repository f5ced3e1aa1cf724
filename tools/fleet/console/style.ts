// The console's one stylesheet, served as /console/style.css (the Content-Security-Policy allows
// styles only from the service itself, no inline ones).
export const CONSOLE_CSS = `
:root { --ok: #2e7d32; --fail: #c62828; --revert: #ef6c00; --busy: #1565c0; --off: #9e9e9e; --line: #ddd; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #222; background: #fafafa; }
header { display: flex; align-items: center; gap: 1.5em; padding: .6em 1.2em; background: #263238; color: #fff; }
header a { color: #fff; text-decoration: none; }
header nav { display: flex; gap: 1em; flex: 1; }
header form { margin: 0; }
main { padding: 1em 1.2em; max-width: 1100px; }
h1 { font-size: 1.35em; margin: .2em 0 .6em; }
h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .92em; }
.state { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff; background: var(--off); }
.state-running, .state-completed { background: var(--ok); }
.state-paused { background: var(--revert); }
.state-stopped, .state-cancelled { background: var(--fail); }
svg.bar { width: 100%; height: 14px; display: block; }
svg.bar rect { fill: #e0e0e0; }
svg.bar rect.installed { fill: var(--ok); }
svg.bar rect.failed { fill: var(--fail); }
svg.bar rect.reverted { fill: var(--revert); }
svg.bar rect.busy { fill: var(--busy); }
svg.bar rect.cancelled { fill: var(--off); }
.actions { display: flex; gap: .6em; margin: .8em 0; }
button, .button { font: inherit; padding: .35em .9em; border: 1px solid #888; border-radius: 4px; background: #fff; cursor: pointer; color: #222; text-decoration: none; }
button.danger, .button.danger { background: var(--fail); border-color: var(--fail); color: #fff; }
.notice { padding: .6em .9em; border-left: 4px solid var(--busy); background: #fff; margin: .6em 0; }
.notice.error { border-color: var(--fail); }
form.stack { display: grid; gap: .6em; max-width: 32em; }
input[type=text], input[type=password], input[type=search] { font: inherit; padding: .35em .5em; border: 1px solid #aaa; border-radius: 4px; width: 100%; }
.muted { color: #666; }
`;
