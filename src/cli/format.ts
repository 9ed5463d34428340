// Human output of the CLI: per-peer tables like the `openio` CLI prints, a plan, step answers.
// Pure functions from reports to text, so they are tested without a proxy. Every value that
// comes from the namespace (names, peers, keys, reasons, answers) goes through escapeControl.
import { verdictCode } from '../decisions/derive.js';
import { escapeControl as esc } from '../escape.js';
import type { ContainerReport, ReplicaState } from '../probe/types.js';
import { describeStep } from '../repair/steps.js';
import type { RepairPlan } from '../repair/types.js';

/** Draws an ASCII table (`+---+` borders) as the openio CLI (cliff) does. */
export function table(headers: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((r) => r.map(esc));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line, fmt(headers), line, ...rows.map(fmt), line].join('\n');
}

function baseColumn(r: ReplicaState): string {
  switch (r.health) {
    case 'missing-base': return 'missing';
    case 'corrupt-base': return 'corrupt';
    case 'unreachable':
    case 'timeout': return '?';
    default: return 'present';
  }
}

function keysColumn(r: ReplicaState): string {
  const parts: string[] = [];
  if (r.missingKeys.length > 0) parts.push(r.missingKeys.join(','));
  if (r.malformedKeys.length > 0) parts.push(`malformed: ${r.malformedKeys.join(',')}`);
  return parts.join('; ');
}

export function containerTitle(report: ContainerReport): string {
  const { account, container, cid } = report.ref;
  return account !== undefined && container !== undefined ? `${esc(account)}/${esc(container)} (${esc(cid)})` : esc(cid);
}

export function formatReport(report: ContainerReport): string {
  const rows = report.replicas.map((r) => [r.peer, r.role, baseColumn(r), r.health, keysColumn(r)]);
  const out = [`Container ${containerTitle(report)}`];
  if (rows.length > 0) out.push(table(['Peer', 'Role', 'Base', 'Health', 'Missing keys'], rows));
  if (report.election?.problem) out.push(`Election: ${esc(report.election.problem)} (masters: ${esc(report.election.masters.join(', ')) || 'none'})`);
  out.push(`Verdict: ${report.verdict} (${verdictCode(report)}) — ${esc(report.reason)}`);
  return out.join('\n');
}


export function formatPlan(plan: RepairPlan): string {
  const head = `Plan: ${plan.decision} (${plan.code}) — ${esc(plan.reason)}`;
  if (plan.steps.length === 0) return head;
  return [head, ...plan.steps.map((s, i) => `  ${i + 1}. ${esc(describeStep(s))}`)].join('\n');
}

export function formatAnswers(answers: readonly { peer: string; status: number; message: string }[]): string {
  return table(['Id', 'Status', 'Message'], answers.map((a) => [a.peer, String(a.status), a.message]));
}
