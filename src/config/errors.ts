// Configuration problems as data (ConfigIssue) and as a typed error (ConfigError), plus the
// one-line-per-issue format shared by `--check-config`, the start-up fatal log and SIGHUP.
// Each issue names where (file:line:col, or the environment variable), the setting, the value
// and the reason, so an operator can fix the file without reading the code.

export { EX_CONFIG } from '../cli/exit-codes.js';

export interface ConfigIssue {
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  /** Dotted setting path (`schedule.cron`), or `env NAME → path` when the value came from the environment. */
  readonly path: string;
  /** The offending value, when there is one (absent for a missing setting or a syntax error). */
  readonly value?: unknown;
  /** Why it is wrong; phrased to read after the value ("is not a valid cron expression"). */
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'REPAIRD_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${formatIssues(issues)}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** One line per issue: `config.yaml:4:14 schedule.cron: "61 * * * *" is not a valid cron expression (…)`. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

function formatIssue(issue: ConfigIssue): string {
  const where = issue.file === undefined ? '' : `${issue.file}${issue.line === undefined ? '' : `:${issue.line}:${issue.col ?? 1}`} `;
  const what = issue.path === '' ? '' : `${issue.path}: `;
  const value = issue.value === undefined ? '' : `${renderValue(issue.value)} `;
  return `${where}${what}${value}${issue.message}`;
}

function renderValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
