// The status page (GET / on the metrics listener): one self-contained HTML document for a person
// at a browser or `curl`: what the daemon watches, the running sweep, the last sweeps, recent
// detections and repairs, unrepairable containers, and links to /metrics, /readyz and the
// runbook. A pure function of a StatusView: no JavaScript, no external assets, every value from
// the journal or the configuration escaped.
import type { RecentEntry, UnrepairableContainer } from '../journal/recent.js';
import type { ProgressFields } from '../sweep/progress.js';
import type { SweepRecord } from '../sweep/history.js';

export interface StatusView {
  readonly version: string;
  readonly namespace: string;
  readonly proxyUrl: string;
  readonly mode: string;
  readonly now: Date;
  readonly ready: { readonly ready: boolean; readonly reason?: string };
  /** The running sweep's last progress, or null when no sweep runs. */
  readonly sweep: { readonly startedAt: string; readonly progress: ProgressFields | null } | null;
  readonly nextSweep: string | null;
  /** Oldest first. */
  readonly lastSweeps: readonly SweepRecord[];
  /** Oldest first. */
  readonly recent: readonly RecentEntry[];
  readonly unrepairable: readonly UnrepairableContainer[];
  readonly unrepairableCount: number;
  readonly budgetRemaining: number;
  /**
   * The operator controls: the circuit breaker (open, or its counts), the suspension, a blackout
   * in force. Each line is shown as is, escaped; null or an empty list says "none".
   */
  readonly safety: readonly string[] | null;
  readonly runbookUrl: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function name(e: { readonly account?: string; readonly container?: string; readonly cid: string }): string {
  return e.account !== undefined && e.container !== undefined ? `${e.account}/${e.container}` : e.cid;
}

function ago(ts: string, now: Date): string {
  const s = Math.round((now.getTime() - Date.parse(ts)) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  // Cells are already-escaped HTML.
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function sweepSection(v: StatusView): string {
  if (!v.sweep) {
    return `<p>No sweep running.${v.nextSweep ? ` Next one: ${escapeHtml(v.nextSweep)}.` : ''}</p>`;
  }
  const p = v.sweep.progress;
  const started = `started ${escapeHtml(v.sweep.startedAt)} (${escapeHtml(ago(v.sweep.startedAt, v.now))})`;
  if (!p) return `<p>A sweep is running, ${started}; no progress reported yet.</p>`;
  const of = p.total !== undefined ? ` of ~${escapeHtml(p.total)}` : '';
  const eta = p.etaSeconds !== undefined ? `, about ${escapeHtml(Math.round(p.etaSeconds / 60))} min left` : '';
  const pct = p.total ? Math.min(100, Math.round((100 * p.done) / p.total)) : null;
  return [
    `<p>Sweep ${escapeHtml(p.sweepId)}, ${started}${p.paused ? ', <strong>paused outside its time window</strong>' : ''}:</p>`,
    pct !== null ? `<progress max="100" value="${pct}">${pct} %</progress>` : '',
    `<p class="big">${escapeHtml(p.done)}${of} containers, ${escapeHtml(p.rate)}/s${eta}; ${escapeHtml(p.damaged)} damaged, ${escapeHtml(p.unrepairable)} unrepairable, ${escapeHtml(p.repairs)} repairs, ${escapeHtml(p.probeErrors)} probe errors.</p>`,
  ].join('\n');
}

function lastSweepsSection(v: StatusView): string {
  const rows = [...v.lastSweeps].reverse().slice(0, 10).map((s) => [
    `${escapeHtml(s.endedAt)}<br><small>${escapeHtml(ago(s.endedAt, v.now))}</small>`,
    `<span class="r-${escapeHtml(s.result)}">${escapeHtml(s.result)}</span>`,
    escapeHtml(s.done),
    escapeHtml(`${Math.round(s.activeMs / 1000)} s`),
    escapeHtml(s.damagedContainers),
    escapeHtml(s.unrepairable),
    escapeHtml(Object.entries(s.repairs).filter(([, n]) => n > 0).map(([o, n]) => `${o} ${n}`).join(', ') || '-'),
  ]);
  return table(['ended', 'result', 'containers', 'took', 'damaged', 'unrepairable', 'repairs'], rows, 'No sweep has ended yet.');
}

function recentSection(v: StatusView): string {
  const rows = [...v.recent].reverse().map((e) => {
    const what = e.type === 'detection'
      ? `detected: <strong>${escapeHtml(e.verdict)}</strong>`
      : `repair: <strong class="o-${escapeHtml(e.outcome)}">${escapeHtml(e.outcome)}</strong>`;
    const replicas = e.type === 'detection'
      ? e.replicas.filter((r) => r.health !== 'ok').map((r) => `${r.peer} ${r.role} ${r.health}${r.missingKeys?.length ? ` (${r.missingKeys.join(', ')})` : ''}`).join('; ')
      : '';
    return [
      `${escapeHtml(e.ts)}<br><small>${escapeHtml(ago(e.ts, v.now))}</small>`,
      `<code>${escapeHtml(name(e))}</code>`,
      what,
      `${escapeHtml(e.reason)}${replicas ? `<br><small>${escapeHtml(replicas)}</small>` : ''}`,
    ];
  });
  return table(['when', 'container', 'what', 'why'], rows, 'Nothing detected or repaired recently.');
}

function unrepairableSection(v: StatusView): string {
  const rows = v.unrepairable.map((u) => [`<code>${escapeHtml(name(u))}</code>`, escapeHtml(u.reason), escapeHtml(u.ts)]);
  const more = v.unrepairableCount > v.unrepairable.length
    ? `<p>${escapeHtml(v.unrepairableCount - v.unrepairable.length)} more: <code>oio-repaird journal --limit 200</code>.</p>`
    : '';
  return table(['container', 'why', 'seen'], rows, 'None in the last completed sweep.') + more;
}

function safetySection(v: StatusView): string {
  if (v.safety === null || v.safety.length === 0) return '<p class="none">None.</p>';
  // The controls that hold repairs back now stand out; the others are information.
  const holding = (line: string): boolean => /^(circuit breaker open|repairs suspended|blackout)/.test(line);
  return `<ul>${v.safety.map((s) => `<li${holding(s) ? ' class="bad"' : ''}>${escapeHtml(s)}</li>`).join('')}</ul>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f4f4f4}code{font-size:.95em}small{color:#666}.none{color:#666}.big{font-size:1.1em}
progress{width:100%;height:1em}.ok{color:#176117}.bad{color:#a10d0d;font-weight:bold}
.r-completed,.o-succeeded{color:#176117}.r-failed,.r-incomplete,.o-failed{color:#a10d0d}.o-refused{color:#8a5a00}
nav a{margin-right:1.2em}`;

export function renderStatusPage(v: StatusView): string {
  const readiness = v.ready.ready
    ? '<span class="ok">ready</span>'
    : `<span class="bad">not ready</span>: ${escapeHtml(v.ready.reason ?? 'unknown')}`;
  const unrepairableTitle = v.unrepairableCount > 0 ? `<span class="bad">Unrepairable containers (${escapeHtml(v.unrepairableCount)})</span>` : 'Unrepairable containers (0)';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oio-repaird · ${escapeHtml(v.namespace)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<h1>oio-repaird · namespace <code>${escapeHtml(v.namespace)}</code></h1>
<p>Proxy <code>${escapeHtml(v.proxyUrl)}</code>, mode <strong>${escapeHtml(v.mode)}</strong>, ${readiness}; repair budget left: ${escapeHtml(v.budgetRemaining)}. Version ${escapeHtml(v.version)}, page generated ${escapeHtml(v.now.toISOString())}.</p>
<nav><a href="/metrics">/metrics</a><a href="/readyz">/readyz</a><a href="/healthz">/healthz</a><a href="${escapeHtml(v.runbookUrl)}">runbook</a></nav>
<h2>Current sweep</h2>
${sweepSection(v)}
<h2>${unrepairableTitle}</h2>
<p><small>No healthy quorum: the daemon never touches these; see the <a href="${escapeHtml(v.runbookUrl)}#oiorepairdunrepairablecontainers">runbook</a>.</small></p>
${unrepairableSection(v)}
<h2>Recent detections and repairs</h2>
${recentSection(v)}
<h2>Last sweeps</h2>
${lastSweepsSection(v)}
<h2>Circuit breakers and suspensions</h2>
${safetySection(v)}
</body>
</html>
`;
}
