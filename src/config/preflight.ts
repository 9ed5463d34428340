// What `run` needs from the host beyond a valid file, checked before anything starts: the state
// directory and the journal can be written by this process (under systemd: inside what the unit
// lets it write), and metrics.listen names an address of this host. `check-config`, `run` and
// SIGHUP all call loadRunnableConfig, so a file check-config accepts never makes run exit 70.
// Only mistakes an operator fixes in the file count; a transient state (full disk, port taken)
// is left to run, whose exit 70 systemd restarts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rmdir, stat, unlink } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { ConfigIssue } from './errors.js';
import { parseListen } from './listen.js';
import { loadConfig, type LoadResult, type SettingLocator } from './load.js';
import type { Config } from './schema.js';

/** loadConfig, then the host checks: the configuration `run` can start with, or every problem. */
export async function loadRunnableConfig(path: string | undefined, env: NodeJS.ProcessEnv): Promise<LoadResult> {
  const loaded = await loadConfig(path, env);
  if (!loaded.ok) return loaded;
  const errors = await checkHost(loaded.config, env, loaded.locate);
  return errors.length === 0 ? loaded : { ok: false, errors };
}

/** Every host problem of a valid configuration, each placed at its setting like a schema error. */
export async function checkHost(config: Config, env: NodeJS.ProcessEnv, locate: SettingLocator): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const report = (setting: string, value: string, message: string): void => {
    issues.push({ ...locate(setting), value, message });
  };
  const stateDir = resolve(config.state.dir);
  const stateProblem = await writableDirectoryProblem(stateDir, env);
  if (stateProblem !== undefined) report('state.dir', config.state.dir, stateProblem);

  const journal = resolve(config.journal.path);
  const journalProblem = await journalFileProblem(journal, env, stateProblem === undefined ? stateDir : undefined);
  if (journalProblem !== undefined) report('journal.path', config.journal.path, journalProblem);

  const listenProblem = await listenAddressProblem(config.metrics.listen);
  if (listenProblem !== undefined) report('metrics.listen', config.metrics.listen, listenProblem);
  return issues;
}

/** Files and directories made to test a write, removed at once. */
const PROBE_PREFIX = '.oio-repaird-write-check.';

/** Errors that mean "this process may not write here": a configuration matter, not a transient one. */
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

async function writableDirectoryProblem(dir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const kind = await kindOf(dir);
  if (kind === 'missing') return creatableProblem(dir, env);
  if (kind !== 'directory') return 'is not a directory';
  const probe = join(dir, `${PROBE_PREFIX}${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    const file = await open(probe, 'wx', 0o600);
    await file.close();
    await unlink(probe);
  } catch (err) {
    return deniedProblem(err, env);
  }
  return undefined;
}

/**
 * A directory `run` would create (mkdir -p): its nearest existing ancestor must take a new
 * directory. Probed with a real mkdir and rmdir, as access(2) says yes to root where sysfs or a
 * sandbox still says no.
 */
async function creatableProblem(dir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let ancestor = dirname(dir);
  while ((await kindOf(ancestor)) === 'missing' && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if ((await kindOf(ancestor)) !== 'directory') return `cannot be created: ${ancestor} is not a directory`;
  try {
    await rmdir(await mkdtemp(join(ancestor, PROBE_PREFIX)));
  } catch (err) {
    const why = deniedProblem(err, env);
    return why === undefined ? undefined : `does not exist and cannot be created in ${ancestor}, which ${why}`;
  }
  return undefined;
}

async function journalFileProblem(path: string, env: NodeJS.ProcessEnv, checkedDir: string | undefined): Promise<string | undefined> {
  const kind = await kindOf(path);
  if (kind === 'directory') return 'is a directory: journal.path names the journal file (for example /var/lib/oio-repaird/journal.jsonl)';
  if (kind === 'other') return 'is not a regular file';
  if (kind === 'file') {
    try {
      const file = await open(path, 'a');
      await file.close();
    } catch (err) {
      return deniedProblem(err, env);
    }
    return undefined;
  }
  const parent = dirname(path);
  if (parent === checkedDir) return undefined;
  const problem = await writableDirectoryProblem(parent, env);
  return problem === undefined ? undefined : `cannot be created: its directory ${parent} ${problem}`;
}

function deniedProblem(err: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'EROFS') {
    const unit = env['STATE_DIRECTORY'] ? ` (this unit's StateDirectory is ${env['STATE_DIRECTORY']})` : '';
    return (
      'is on a file system this process may not write (EROFS): under the systemd unit ' +
      '(ProtectSystem=strict) the daemon writes only to its StateDirectory, /var/lib/oio-repaird' +
      `${unit}, and to ReadWritePaths= added in a drop-in`
    );
  }
  if (DENIED.has(code)) {
    const uid = typeof process.getuid === 'function' ? ` by uid ${process.getuid()}` : '';
    return `is not writable${uid} (${code}: permission denied)`;
  }
  return undefined;
}

type Kind = 'directory' | 'file' | 'other' | 'missing';

async function kindOf(path: string): Promise<Kind> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Binds the configured host with port 0, which conflicts with nothing (not even the running
 * daemon's socket during a SIGHUP): only a host that is not one of this machine's addresses
 * fails. Host names are left to the real bind, to keep DNS out of the check.
 */
async function listenAddressProblem(listen: string): Promise<string | undefined> {
  const parsed = parseListen(listen);
  if (!parsed.ok || isIP(parsed.address.host.replace(/%.*$/, '')) === 0) return undefined;
  const server = createServer();
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen({ host: parsed.address.host, port: 0 }, () => done());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EADDRNOTAVAIL' ? 'is not an address of this host (EADDRNOTAVAIL)' : undefined;
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
  }
  return undefined;
}
