// Scenario files are validated once, with errors that name the field; the shipped demo YAML
// is the same namespace as demoScenario().
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ScenarioError, demoScenario, loadScenario, parseScenario } from '../../src/sim/index.js';

async function yamlFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-scenario-'));
  const path = join(dir, 'scenario.yaml');
  await writeFile(path, text);
  return path;
}

const errorOf = (fn: () => unknown): ScenarioError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('loadScenario', () => {
  it('loads the example of the brief', async () => {
    const path = await yamlFile(`
namespace: OPENIO
services: ["127.0.0.1:6131", "127.0.0.1:6132", "127.0.0.1:6133", "127.0.0.1:6134"]
containers:
  - { account: myaccount, name: FVE0, peers: ["127.0.0.1:6131","127.0.0.1:6132","127.0.0.1:6133"], master: "127.0.0.1:6132" }
faults:
  - { kind: drop-keys, account: myaccount, container: FVE0, peer: "127.0.0.1:6131", keys: [sys.m2.ctime] }
generate: { containers: 1000, damagedShare: 0.05, seed: 42 }
`);
    const s = await loadScenario(path);
    expect(s.containers?.[0]?.master).toBe('127.0.0.1:6132');
    expect(s.faults?.[0]).toMatchObject({ kind: 'drop-keys', keys: ['sys.m2.ctime'] });
    expect(s.generate?.containers).toBe(1000);
  });

  it('names the file and the field of a bad value', async () => {
    const path = await yamlFile('containers:\n  - { account: a, name: b, peers: ["not-an-address"] }\n');
    await expect(loadScenario(path)).rejects.toThrow(/scenario\.yaml: containers\[0\]\.peers\[0\]: must be a service address/);
  });

  it('is the same namespace in src/sim/scenarios/demo.yaml as demoScenario()', async () => {
    const path = fileURLToPath(new URL('../../src/sim/scenarios/demo.yaml', import.meta.url));
    const fromYaml = await loadScenario(path);
    const sortByName = <T extends { account: string; name: string }>(list: readonly T[] | undefined) =>
      [...(list ?? [])].sort((a, b) => `${a.account}/${a.name}`.localeCompare(`${b.account}/${b.name}`));
    expect(sortByName(fromYaml.containers)).toEqual(sortByName(demoScenario().containers));
    expect(fromYaml.faults).toEqual(demoScenario().faults);
    expect(fromYaml.services).toEqual(demoScenario().services);
  });
});

describe('parseScenario', () => {
  it('names an unknown fault kind', () => {
    expect(errorOf(() => parseScenario({ faults: [{ kind: 'explode', service: '127.0.0.1:1' }] })).field).toBe('faults[0].kind');
  });

  it('names an unknown field (a typo)', () => {
    const err = errorOf(() => parseScenario({ containers: [{ account: 'a', name: 'b', peer: ['127.0.0.1:1'] }] }));
    expect(err.field).toBe('containers[0].peer');
    expect(err.message).toMatch(/unknown field/);
  });

  it('names a master that is not one of the peers', () => {
    const err = errorOf(() => parseScenario({ containers: [{ account: 'a', name: 'b', peers: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], master: '127.0.0.1:9' }] }));
    expect(err.field).toBe('containers[0].master');
  });

  it('names a fault on a container that does not exist', () => {
    const err = errorOf(() => parseScenario({ services: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], faults: [{ kind: 'missing-base', account: 'a', container: 'zz' }] }));
    expect(err.field).toBe('faults[0].container');
  });

  it('names a bad damage share and a bad generated kind', () => {
    expect(errorOf(() => parseScenario({ generate: { containers: 10, damagedShare: 2 } })).field).toBe('generate.damagedShare');
    expect(errorOf(() => parseScenario({ generate: { containers: 10, kinds: ['master:explode'] } })).field).toBe('generate.kinds[0]');
  });
});
