// Loose PromQL scanning shared by the deploy/ tests: which metric names and selectors an
// expression uses. Not a parser: it only needs to find identifiers, `{...}` matchers and
// `[...]` ranges in the handful of expression shapes our rules and dashboard use.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const readRepoFile = (path: string): string => readFileSync(REPO + path, 'utf8');

/** PromQL words that are not metric names (functions, operators, aggregations, modifiers). */
const KEYWORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'and', 'or', 'unless', 'offset', 'bool', 'rate', 'irate', 'increase', 'delta', 'changes', 'time',
  'absent', 'histogram_quantile', 'max_over_time', 'min_over_time', 'avg_over_time', 'vector', 'topk',
  'bottomk', 'label_values', 'timestamp', 'clamp_min', 'clamp_max', 'le', 'inf', 'nan',
]);

/** Quoted strings removed, so label values and regexes never look like identifiers. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

/** Label matcher blocks removed, so label names never look like metric names. */
function withoutMatchers(expr: string): string {
  return withoutStrings(expr).replace(/\{[^}]*\}/g, '');
}

/** Grouping clauses (`by (job, le)`, `on (...)`) removed: their words are label names. */
function withoutGrouping(expr: string): string {
  return expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
}

/** Every identifier that stands where a metric name (or recorded series) can stand. */
export function seriesNamesIn(expr: string): string[] {
  const text = withoutGrouping(withoutMatchers(expr))
    .replace(/\[[^\]]*\]/g, '')
    // Numbers and durations (`0.10`, `offset 2d`): their unit letter is not an identifier.
    .replace(/(?<![a-zA-Z0-9_:])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?/g, '');
  const words = text.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((w) => !KEYWORDS.has(w)))];
}

export interface Selector {
  readonly name: string;
  /** The text between the braces, or undefined when the name has no matchers at all. */
  readonly matchers: string | undefined;
}

/** Each `name{...}` or bare `name` occurrence for the given metric names. */
export function selectorsIn(expr: string, names: ReadonlySet<string>): Selector[] {
  const found: Selector[] = [];
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?/g;
  for (const m of expr.matchAll(re)) {
    const name = m[1] ?? '';
    if (!names.has(name)) continue;
    // Skip words inside a matcher block (a label name equal to a metric name is not a selector).
    const before = expr.slice(0, m.index);
    if (before.lastIndexOf('{') > before.lastIndexOf('}')) continue;
    found.push({ name, matchers: m[2]?.slice(1, -1) });
  }
  return found;
}

/** The `[...]` range durations an expression uses (`5m`, `$__rate_interval`, `30m:1m`). */
export function rangesIn(expr: string): string[] {
  return [...withoutStrings(expr).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
}

/** `label="value"` and `label=~"a|b"` matchers as [label, values] pairs (regexes split on |). */
export function equalityValuesIn(matchers: string): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  for (const m of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|=)\s*"([^"]*)"/g)) {
    const [, label = '', op, value = ''] = m;
    if (op === '=') out.push([label, [value]]);
    // Only plain alternations of literal words are checked; anything regex-y is left alone.
    else if (/^[A-Za-z0-9_/-]+(\|[A-Za-z0-9_/-]+)*$/.test(value)) out.push([label, value.split('|')]);
  }
  return out;
}

// --- the deploy/ artefacts -------------------------------------------------------------------

export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function loadRules(): Rule[] {
  const doc = parse(readRepoFile('deploy/prometheus/oio-repaird.rules.yml')) as { groups: Array<{ rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

export interface Target { readonly expr: string; readonly datasource?: { uid?: string } }
export interface Panel {
  readonly type: string;
  readonly id: number;
  readonly title?: string;
  readonly description?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: Target[];
  readonly fieldConfig?: { defaults?: { unit?: string } };
}
export interface Variable { readonly name: string; readonly type: string; readonly query?: unknown; readonly datasource?: { uid?: string } }
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly id: number | null;
  readonly panels: Panel[];
  readonly templating: { list: Variable[] };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readRepoFile('deploy/grafana/oio-repaird.json')) as Dashboard;
}

/**
 * The series selector a query variable reads: `label_values(sel, label)` gives `sel` (the
 * label argument is not a metric); undefined for non-query variables such as the datasource.
 */
export function variableQuery(v: Variable): string | undefined {
  if (v.type !== 'query') return undefined;
  const raw = typeof v.query === 'string' ? v.query
    : v.query && typeof v.query === 'object' && 'query' in v.query ? String((v.query as { query: unknown }).query)
      : undefined;
  if (raw === undefined) return undefined;
  const m = /^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/.exec(raw);
  return m ? m[1] : raw;
}
