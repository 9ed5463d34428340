import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { diffRequiresRestart, type Config } from '../../src/config/schema.js';

function config(extra: string): Config {
  const result = parseConfigText(`proxy: { url: http://p:1, namespace: NS }\n${extra}`, 'c.yaml', {});
  if (!result.ok) throw new Error('refused');
  return result.config;
}

describe('diffRequiresRestart', () => {
  it('is empty when only live settings change', () => {
    expect(diffRequiresRestart(config(''), config('repair: { budgetPerSweep: 1 }\nschedule: { cron: "* * * * *" }\n'))).toEqual([]);
  });

  it('lists the listen address, the state directory and the journal path when they change', () => {
    const before = config('');
    const after = config('metrics: { listen: "127.0.0.1:1" }\nstate: { dir: /elsewhere }\n');
    expect(diffRequiresRestart(before, after)).toEqual(['metrics.listen', 'state.dir', 'journal.path']);
  });

  it('sees a journal move caused by an explicit journal.path', () => {
    expect(diffRequiresRestart(config(''), config('journal: { path: /j.jsonl }\n'))).toEqual(['journal.path']);
  });
});

describe('defaults', () => {
  it('gives each configuration its own lists, so mutating one never leaks into the next', () => {
    const first = config('');
    first.probe.requiredKeys.push('sys.extra');
    first.schedule.windows.push({ days: ['mon'], start: '01:00', end: '02:00' });
    const second = config('');
    expect(second.probe.requiredKeys).not.toContain('sys.extra');
    expect(second.schedule.windows).toEqual([]);
  });
});
