import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_OWNER_FILE, lockStateDir, StateDirLockedError } from '../../src/daemon/state-lock.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/daemon-process.js';

const log = silentLogger();

describe('lockStateDir', () => {
  it('refuses a second holder of the same state directory, naming the first', async () => {
    const dir = join(await tempDir(), 'state');
    const lock = await lockStateDir(dir, log);
    const second = await lockStateDir(dir, log).catch((err: unknown) => err);
    expect(second).toBeInstanceOf(StateDirLockedError);
    expect(second).toMatchObject({ code: 'REPAIRD_STATE_LOCKED', dir, owner: { pid: process.pid } });
    expect((second as Error).message).toMatch(/in use by another oio-repaird \(pid \d+ on .+, started .+\)/);
    await lock.release();
  });

  it('is one lock for every spelling of the directory (a symlink included)', async () => {
    const base = await tempDir();
    const dir = join(base, 'state');
    await mkdir(dir);
    await symlink(dir, join(base, 'link'));
    const lock = await lockStateDir(dir, log);
    await expect(lockStateDir(join(base, 'link'), log)).rejects.toBeInstanceOf(StateDirLockedError);
    await expect(lockStateDir(`${base}/./state/`, log)).rejects.toBeInstanceOf(StateDirLockedError);
    await lock.release();
  });

  it('can be taken again once released, and two directories never share a lock', async () => {
    const base = await tempDir();
    const a = await lockStateDir(join(base, 'a'), log);
    const b = await lockStateDir(join(base, 'b'), log);
    expect(a.name).not.toBe(b.name);
    await a.release();
    await expect(readFile(join(base, 'a', LOCK_OWNER_FILE), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await lockStateDir(join(base, 'a'), log);
    await again.release();
    await b.release();
  });
});
