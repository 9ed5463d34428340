// `oio-repaird rules`: prints (or installs, with --out) the shipped Prometheus rules with their
// runbook links pointed where the operator's on-call people read the runbook. The shipped links
// lead to the runbook each daemon serves itself (`/runbook` on the scraped instance); with
// --runbook-base they lead to wherever docs/OPERATIONS.md is published, section by section.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { silentLogger } from '../log.js';
import { writeFileAtomic } from '../sweep/state-file.js';
import { parse } from './args.js';
import { println, type Command } from './command.js';
import { EX_OK } from './exit-codes.js';
import { UsageError } from './usage-error.js';

export const RULES_FILE = new URL('../../deploy/prometheus/oio-repaird.rules.yml', import.meta.url);

/**
 * The shipped base of every runbook_url (before `#<alert name in lower case>`): the runbook page
 * of the daemon that raised the alert, or, when no target exists at all (OioRepairdDown's
 * `absent()`), Prometheus' own targets page, which is where that problem shows.
 */
export const DEFAULT_RUNBOOK_BASE = '{{ with $labels.instance }}http://{{ . }}/runbook{{ else }}{{ $externalURL }}/targets{{ end }}';

const RUNBOOK_LINE = /^(\s*runbook_url:[ \t]*)(.*)$/gm;

/** A YAML scalar's text without its quotes (the rules file uses plain or single-quoted ones). */
function unquote(raw: string): string {
  const v = raw.trim();
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  if (v.startsWith('"')) return JSON.parse(v) as string;
  return v;
}

/** Checks a --runbook-base: an absolute http(s) URL without a fragment (the anchor is ours). */
export function checkRunbookBase(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`--runbook-base: ${JSON.stringify(base)} is not an absolute URL (for example https://git.example.org/ops/oio-repaird/blob/main/docs/OPERATIONS.md)`, 'rules');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--runbook-base: ${JSON.stringify(base)} is not an http(s) URL`, 'rules');
  if (base.includes('#')) throw new UsageError(`--runbook-base: ${JSON.stringify(base)} has a fragment; give the page only, each alert adds its own #anchor`, 'rules');
  return base;
}

/**
 * The rules text with every runbook_url's base replaced, its anchor kept; single-quoted, so a
 * base with YAML-special characters stays one string. Comments and layout are left as they are.
 */
export function withRunbookBase(rulesText: string, base: string): string {
  return rulesText.replace(RUNBOOK_LINE, (_line, key: string, value: string) => {
    const url = unquote(value);
    const anchor = url.slice(url.lastIndexOf('#') + 1);
    return `${key}'${`${base}#${anchor}`.replace(/'/g, "''")}'`;
  });
}

interface RuleGroups {
  groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
}

/** Every alert's runbook_url as Prometheus will read it, by alert name. */
export function runbookUrls(rulesText: string): Map<string, string> {
  const doc = parseYaml(rulesText) as RuleGroups;
  const urls = new Map<string, string>();
  for (const group of doc.groups) {
    for (const rule of group.rules) {
      if (rule.alert !== undefined) urls.set(rule.alert, rule.annotations?.['runbook_url'] ?? '');
    }
  }
  return urls;
}

export const rulesCommand: Command = {
  usage: `Usage: oio-repaird rules [--runbook-base URL] [--out FILE]

Prints the shipped alert and recording rules. Each alert's runbook_url is BASE#<alert name in
lower case>, a section of docs/OPERATIONS.md. By default BASE is the runbook page of the daemon
that raised the alert (http://INSTANCE/runbook, served on its metrics listener): it needs no
set-up, but only works where on-call people can reach that listener.

Options:
  --runbook-base URL  where docs/OPERATIONS.md is published for your on-call people, e.g.
                      https://git.example.org/ops/oio-repaird/blob/main/docs/OPERATIONS.md
  --out FILE          write the rules to FILE atomically (mode 0644) instead of printing them
  -h, --help          this help`,
  async run(argv, io) {
    const { values, positionals } = parse('rules', argv, { 'runbook-base': { type: 'string' }, out: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'rules');
    const shipped = await readFile(RULES_FILE, 'utf8');
    const base = values['runbook-base'];
    const text = base === undefined ? shipped : withRunbookBase(shipped, checkRunbookBase(base));
    if (values.out === undefined) {
      io.stdout.write(text);
      return EX_OK;
    }
    await writeFileAtomic(values.out, text, silentLogger(), 0o644);
    println(io.stderr, `oio-repaird rules: wrote ${runbookUrls(text).size} alerts to ${values.out}; runbook links: ${base ?? 'each daemon\u2019s /runbook page'}`);
    return EX_OK;
  },
};
