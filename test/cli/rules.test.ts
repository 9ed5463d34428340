// `oio-repaird rules`: the shipped runbook links lead to the daemon's own /runbook page (each
// anchor exists there), and --runbook-base points every alert at the operator's published
// runbook in one command, installed atomically, with bad bases refused as usage errors.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRunbookBase, DEFAULT_RUNBOOK_BASE, RULES_FILE, rulesCommand, runbookUrls, withRunbookBase } from '../../src/cli/rules.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { OPERATIONS_MD, renderRunbook } from '../../src/http/runbook-page.js';

const shipped = await readFile(RULES_FILE, 'utf8');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function io(): { io: { stdout: PassThrough; stderr: PassThrough; env: NodeJS.ProcessEnv }; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return { io: { stdout, stderr, env: {} }, out: () => o, err: () => e };
}

describe('the shipped rules', () => {
  it('link every alert to its section of the runbook page the daemon serves', async () => {
    const page = renderRunbook(await readFile(OPERATIONS_MD, 'utf8'));
    const urls = runbookUrls(shipped);
    expect(urls.size).toBeGreaterThan(10);
    for (const [alert, url] of urls) {
      expect(url).toBe(`${DEFAULT_RUNBOOK_BASE}#${alert.toLowerCase()}`);
      expect(page, `${alert}'s anchor on /runbook`).toContain(`id="${alert.toLowerCase()}"`);
    }
  });
});

describe('withRunbookBase', () => {
  const base = 'https://git.example.org/ops/oio-repaird/blob/main/docs/OPERATIONS.md';

  it('points every alert at BASE#<alert in lower case> and changes nothing else', () => {
    const text = withRunbookBase(shipped, base);
    for (const [alert, url] of runbookUrls(text)) expect(url).toBe(`${base}#${alert.toLowerCase()}`);
    const changed = text.split('\n').filter((line, i) => line !== shipped.split('\n')[i]);
    expect(changed.length).toBe(runbookUrls(shipped).size);
    expect(changed.every((line) => line.trim().startsWith('runbook_url:'))).toBe(true);
  });

  it('keeps a base with YAML-special characters as one string', () => {
    const odd = "https://wiki.example.org/ops/it's: runbook?page=1&x={y}";
    for (const url of runbookUrls(withRunbookBase(shipped, odd)).values()) expect(url.startsWith(`${odd}#oiorepaird`)).toBe(true);
  });

  it('is idempotent: a second base replaces the first', () => {
    const twice = withRunbookBase(withRunbookBase(shipped, 'https://a.example/x'), base);
    expect(twice).toBe(withRunbookBase(shipped, base));
  });
});

describe('checkRunbookBase', () => {
  it.each([
    ['not a url', /not an absolute URL/],
    ['ftp://files.example/OPERATIONS.md', /not an http\(s\) URL/],
    ['https://git.example.org/OPERATIONS.md#runbook', /has a fragment/],
  ])('refuses %j', (base, message) => {
    expect(() => checkRunbookBase(base)).toThrow(UsageError);
    expect(() => checkRunbookBase(base)).toThrow(message);
  });

  it('accepts an http(s) page', () => {
    expect(checkRunbookBase('http://intranet/oio/OPERATIONS.md')).toBe('http://intranet/oio/OPERATIONS.md');
  });
});

describe('oio-repaird rules', () => {
  it('prints the shipped rules unchanged without --runbook-base', async () => {
    const t = io();
    expect(await rulesCommand.run([], t.io)).toBe(0);
    expect(t.out()).toBe(shipped);
  });

  it('installs the rewritten rules atomically with --out, readable by Prometheus (0644)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    dirs.push(dir);
    const out = join(dir, 'rules', 'oio-repaird.rules.yml');
    const t = io();
    expect(await rulesCommand.run(['--runbook-base', 'https://runbooks.example/OPERATIONS.md', '--out', out], t.io)).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(withRunbookBase(shipped, 'https://runbooks.example/OPERATIONS.md'));
    expect((await stat(out)).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(t.err()).toMatch(/wrote \d+ alerts to .*runbook links: https:\/\/runbooks\.example\/OPERATIONS\.md/);
  });

  it('refuses a bad base and an extra argument as usage errors, writing nothing', async () => {
    await expect(rulesCommand.run(['--runbook-base', 'runbooks'], io().io)).rejects.toThrow(UsageError);
    await expect(rulesCommand.run(['extra'], io().io)).rejects.toThrow(/unexpected argument "extra"/);
  });
});
