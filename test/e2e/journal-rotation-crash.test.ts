// End to end: a process appends to the built journal (dist/) with a tiny rotation size, from
// several concurrent writers, and is killed with SIGKILL at a random moment, rotations included,
// again and again on the same files. Every entry whose append had resolved (reported on stdout)
// must be read back afterwards, in order, from the kept files: nothing acknowledged is lost.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/journal/read.js';
import { REPO_ROOT, tempDir } from '../helpers/daemon-process.js';

const JOURNAL_JS = pathToFileURL(join(REPO_ROOT, 'dist', 'journal', 'journal.js')).href;

/** Appends `req-<run>-<n>` from 4 writers; prints each n once its append resolved. */
const CHILD = `
const { Journal } = await import(process.env.JOURNAL_JS);
const run = process.env.RUN;
const journal = await Journal.open(process.env.JOURNAL_PATH, { maxBytes: 2000, keep: 100000 });
let n = 0;
const writer = async () => {
  for (;;) {
    const k = n++;
    await journal.append({ type: 'repair', ts: new Date().toISOString(), cid: 'C', reqId: 'req-' + run + '-' + k, outcome: 'succeeded', reason: 'x'.repeat(100) });
    process.stdout.write(k + '\\n');
  }
};
process.stdout.write('ready\\n');
await Promise.all([writer(), writer(), writer(), writer()]);
`;

/** Kills the child once it acknowledged `afterAcks` entries (plus a few ms: mid-batch, mid-rotation). */
function runAndKill(path: string, run: number, afterAcks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, JOURNAL_JS, JOURNAL_PATH: path, RUN: String(run) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    let armed = false;
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!armed && out.split('\n').length > afterAcks + 2) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), run % 3);
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      // Only whole lines count: the last one may have been cut by the kill.
      const lines = out.split('\n').slice(0, -1).filter((l) => /^\d+$/.test(l));
      resolve(lines.map(Number));
    });
  });
}

describe('journal rotation survives SIGKILL', () => {
  it('keeps every acknowledged entry, in order, across kills during appends and rotations', { timeout: 60_000 }, async () => {
    const path = join(await tempDir('oio-repaird-rotation-'), 'journal.jsonl');
    const acknowledged: string[] = [];
    for (let run = 0; run < 6; run++) {
      const acks = await runAndKill(path, run, 15 + run * 7);
      acknowledged.push(...acks.map((k) => `req-${run}-${k}`));
    }
    expect(acknowledged.length).toBeGreaterThan(50);
    const read = (await readJournal(path)).map((e) => e.reqId);
    const position = new Map(read.map((id, i) => [id, i]));
    const missing = acknowledged.filter((id) => !position.has(id));
    expect(missing).toEqual([]);
    // Entries of one run come in the order they were acknowledged, runs one after the other.
    const positions = acknowledged.map((id) => position.get(id)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });
});
