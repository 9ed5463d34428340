// Human output of the CLI: per-peer tables like the `openio` CLI prints, a plan, step answers.
// Pure functions from reports to text, so they are tested without a proxy.
import type { ContainerReport, ReplicaState } from '../probe/types.js';
import type { RepairPlan, RepairStep } from '../repair/types.js';

/** Draws an ASCII table (`+---+` borders) as the openio CLI (cliff) does. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
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
  return account !== undefined && container !== undefined ? `${account}/${container} (${cid})` : cid;
}

export function formatReport(report: ContainerReport): string {
  const rows = report.replicas.map((r) => [r.peer, r.role, baseColumn(r), r.health, keysColumn(r)]);
  const out = [`Container ${containerTitle(report)}`];
  if (rows.length > 0) out.push(table(['Peer', 'Role', 'Base', 'Health', 'Missing keys'], rows));
  if (report.election?.problem) out.push(`Election: ${report.election.problem} (masters: ${report.election.masters.join(', ') || 'none'})`);
  out.push(`Verdict: ${report.verdict} — ${report.reason}`);
  return out.join('\n');
}

export function describeStep(step: RepairStep): string {
  switch (step.kind) {
    case 'sync': return `election sync of ${step.peers.join(', ')} from the master`;
    case 'leave': return `master ${step.peer} leaves the election`;
    case 'await-master': return `wait until one of ${step.candidates.join(', ')} is elected master`;
    case 'set-properties': return `write ${Object.entries(step.values).map(([k, v]) => `${k}=${v}`).join(', ')} through the master`;
  }
}

export function formatPlan(plan: RepairPlan): string {
  if (plan.steps.length === 0) return `Plan: ${plan.decision} — ${plan.reason}`;
  return [`Plan: ${plan.decision} — ${plan.reason}`, ...plan.steps.map((s, i) => `  ${i + 1}. ${describeStep(s)}`)].join('\n');
}

export function formatAnswers(answers: readonly { peer: string; status: number; message: string }[]): string {
  return table(['Id', 'Status', 'Message'], answers.map((a) => [a.peer, String(a.status), a.message]));
}
