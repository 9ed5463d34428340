import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

function config(extra: string): Config {
  const result = parseConfigText(`proxy: { url: http://p:1, namespace: NS }\n${extra}`, 'c.yaml', {});
  if (!result.ok) throw new Error('refused');
  return result.config;
}

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
