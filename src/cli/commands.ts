// The list of commands, in the order `--help` shows them: each one's name and summary, and how
// to load the rest (usage and run). A command's module is imported only when that command runs
// or shows its usage, so `--version`, `check-config` (systemd's ExecStartPre) and every other
// command start without loading the daemon, the simulator and the repair code they do not use.
import type { Command } from './command.js';

export interface CommandEntry {
  readonly name: string;
  /** One line, shown by `oio-repaird --help`. */
  readonly summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'run', summary: 'run the repair daemon (sweeps on a schedule, /metrics, journal)', load: async () => (await import('./run.js')).runCommand },
  { name: 'check', summary: 'probe every replica of one container and print its health', load: async () => (await import('./check.js')).checkCommand },
  { name: 'repair', summary: 'repair one container safely (election sync / leave), then verify', load: async () => (await import('./repair.js')).repairCommand },
  { name: 'explain', summary: 'show what the daemon would do with one container now, and why (changes nothing)', load: async () => (await import('./explain.js')).explainCommand },
  { name: 'journal', summary: 'print recent journal entries (detections, repair steps) for a container or all', load: async () => (await import('./journal.js')).journalCommand },
  { name: 'suspend', summary: 'suspend repairs for a while (probing goes on); survives restarts, ends by itself', load: async () => (await import('./controls.js')).suspendCommand },
  { name: 'resume', summary: 'end a suspension now', load: async () => (await import('./controls.js')).resumeCommand },
  { name: 'breaker', summary: 'show the circuit breaker and suspension (status), or close an open breaker (reset)', load: async () => (await import('./controls.js')).breakerCommand },
  { name: 'check-config', summary: 'validate the configuration file and exit 0, or 78 with every problem', load: async () => (await import('./check-config.js')).checkConfigCommand },
  { name: 'rules', summary: 'print or install the Prometheus alert rules, with runbook links for your site', load: async () => (await import('./rules.js')).rulesCommand },
  { name: 'sim', summary: 'run the simulated OpenIO namespace (proxy and account service)', load: async () => (await import('./sim.js')).simCommand },
  { name: 'demo', summary: 'run the simulator with a damaged demo namespace and the daemon against it', load: async () => (await import('./demo.js')).demoCommand },
];
