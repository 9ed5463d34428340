// The README's references (commands, metrics, environment overrides, alerts) are checked
// against the code, so the documentation cannot silently fall behind.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../../src/cli/commands.js';
import { ENV_OVERRIDES, CONFIG_PATH_ENV } from '../../src/config/env.js';
import { createMetrics } from '../../src/metrics/metrics.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the two set-up commands and the test command', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });

  it('lists every command', () => {
    for (const c of commands) expect(readme, c.name).toMatch(new RegExp(`\\| \`${c.name}[ \`]`));
  });

  it('documents every exported oio_repaird_ metric, and no other', async () => {
    const exported = (await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name).sort();
    const documented = [...new Set([...readme.matchAll(/\| `(oio_repaird_[a-z_]+)` \|/g)].map((m) => m[1]!))].sort();
    expect(documented).toEqual(exported);
  });

  it('names every folder and top-level file of src/ in the architecture table, and nothing that is gone', () => {
    const section = readme.slice(readme.indexOf('## Architecture'), readme.indexOf('## Development'));
    const named = new Set([...section.matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, '')));
    const tree = readdirSync(new URL('../../src/', import.meta.url), { withFileTypes: true }).map((e) => `src/${e.name}`);
    expect(tree.filter((p) => !named.has(p)), 'in src/ but not in the table').toEqual([]);
    expect([...named].filter((p) => !tree.includes(p.split('/').slice(0, 2).join('/'))), 'in the table but not in src/').toEqual([]);
  });

  it('names every environment override', () => {
    for (const o of [...ENV_OVERRIDES.map((e) => e.name), CONFIG_PATH_ENV]) expect(readme, o).toContain(o);
  });

  it('has a runbook row for every alert, with the severity of the rule', () => {
    const rules = parse(readFileSync(new URL('../../deploy/prometheus/oio-repaird.rules.yml', import.meta.url), 'utf8')) as {
      groups: { rules: { alert?: string; labels?: { severity?: string } }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(readme, a.alert).toMatch(new RegExp(`\\| \\[${a.alert}\\]\\(docs/OPERATIONS\\.md#${a.alert!.toLowerCase()}\\) \\| ${a.labels?.severity} \\|`));
    }
  });
});
