// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by source
// file, so a benchmark miss can be traced to the code that costs. Usage:
//   node dist-bench/bench/profile-summary.js FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly micros: number;
  readonly share: number;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/(dist[^/]*\/.*)$/.exec(url);
  return m ? (m[1] as string) : url.replace(/^file:\/\//, '');
}

/** Self time per key (function or file), highest first. */
export function selfTimes(profile: Profile, key: (node: ProfileNode) => string): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, k) => {
    const dt = profile.timeDeltas[k] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    const name = key(node);
    totals.set(name, (totals.get(name) ?? 0) + dt);
    all += dt;
  });
  return [...totals.entries()]
    .map(([name, micros]) => ({ name, micros, share: all > 0 ? micros / all : 0 }))
    .sort((a, b) => b.micros - a.micros);
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [top]\n');
    process.exitCode = 64;
    return;
  }
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const print = (title: string, rows: SelfTime[]): void => {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows.slice(0, top)) process.stdout.write(`${(r.share * 100).toFixed(1).padStart(5)} %  ${(r.micros / 1000).toFixed(0).padStart(7)} ms  ${r.name}\n`);
  };
  print('self time by file', selfTimes(profile, (n) => shortUrl(n.callFrame.url)));
  print('self time by package or folder', selfTimes(profile, (n) => {
    const u = shortUrl(n.callFrame.url);
    if (u.startsWith('(') || u.startsWith('node:')) return u.startsWith('node:') ? 'node internals' : u;
    return u.split('/').slice(0, u.startsWith('dist') ? 3 : 1).join('/');
  }));
  print('self time by function', selfTimes(profile, (n) => `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) main();
