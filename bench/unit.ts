// What the systemd unit ships for the daemon process (deploy/systemd/oio-repaird.service): the
// node flags of its ExecStart and its Environment= settings, read from the unit itself, so that
// the memory phase measures the process that ships and cannot drift from it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ShippedDaemon {
  /** Flags between the node binary and dist/main.js in ExecStart. */
  readonly nodeFlags: readonly string[];
  /** Environment= assignments, in order. */
  readonly env: Readonly<Record<string, string>>;
}

const UNIT = join('deploy', 'systemd', 'oio-repaird.service');

/** The unit file of this checkout, found upwards from here (bench/ from source, dist-bench/bench/ built). */
export function unitPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, UNIT))) return join(dir, UNIT);
    if (dirname(dir) === dir) throw new Error(`${UNIT} not found above ${from}`);
  }
}

export function parseUnit(text: string): ShippedDaemon {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const starts = lines.filter((l) => l.startsWith('ExecStart=')).map((l) => l.slice('ExecStart='.length));
  if (starts.length !== 1) throw new Error(`expected one ExecStart=, found ${starts.length}`);
  const words = (starts[0] as string).split(/\s+/);
  const main = words.findIndex((w) => w.endsWith('/main.js'));
  if (main < 1) throw new Error(`ExecStart= runs no .../main.js: ${starts[0] as string}`);
  const env: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith('Environment='))) {
    for (const assignment of line.slice('Environment='.length).split(/\s+/)) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new Error(`bad Environment= assignment: ${assignment}`);
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  return { nodeFlags: words.slice(1, main), env };
}

export function shippedDaemon(): ShippedDaemon {
  return parseUnit(readFileSync(unitPath(), 'utf8'));
}
