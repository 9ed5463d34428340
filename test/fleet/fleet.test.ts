// The fleet's refusals as the executor reports them, without ZooKeeper: another member's lock
// on the container is a skip with its own reason code (SKIPPED_FLEET_LOCK, under the cooldown's
// outcome), nothing is sent, and the journal says so. The lock itself against a real ZooKeeper:
// member.zk.test.ts and repair.zk.test.ts.
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../../src/decisions/codes.js';
import { FleetLockHeld } from '../../src/fleet/fleet.js';
import { repairJournal } from '../../src/journal/entries.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';
import { repairContainer } from '../../src/repair/execute.js';
import { FakeProxy } from '../helpers/fake-proxy.js';
import { healthyTable, P1, REF, without } from '../helpers/tables.js';

describe('a repair whose container another fleet member has locked', () => {
  it('is skipped with SKIPPED_FLEET_LOCK, sends nothing and journals why', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const entries: JournalEntry[] = [];
    const journal = repairJournal({ append: async (e) => void entries.push(e) }, { evidenceMaxBytes: 65_536 });
    const probe = (): ReturnType<typeof probeContainer> => probeContainer(proxy, REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, alwaysElection: true, reqId: 'r' });
    const before = await probe();
    expect(before.verdict).toBe('repairable');

    const result = await repairContainer(proxy, before, {
      dryRun: false, journal, probe, reqId: 'r', verifyDelayMs: 0, verifyAttempts: 5, pollIntervalMs: 1, awaitMasterTimeoutMs: 200, maxRounds: 3,
      beforeFirstMutation: () => Promise.reject(new FleetLockHeld(REF.cid)),
    });

    expect(result).toMatchObject({ outcome: 'skipped_cooldown', code: 'SKIPPED_FLEET_LOCK', reason: expect.stringContaining('another fleet member holds the lock') });
    expect(proxy.mutations()).toEqual([]);
    expect(entries.map((e) => e.type)).toEqual(['repair']);
    expect(entries[0]).toMatchObject({ type: 'repair', outcome: 'skipped_cooldown', code: 'SKIPPED_FLEET_LOCK' });
  });

  it('is a skip of its own in the catalogue, not the cooldown\'s', () => {
    expect(REASON_CODES.SKIPPED_FLEET_LOCK.kind).toBe('skip');
    expect(new FleetLockHeld(REF.cid).reasonCode).not.toBe('SKIPPED_COOLDOWN');
  });
});
