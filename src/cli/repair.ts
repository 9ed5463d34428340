// `oio-repaird repair ACCOUNT/CONTAINER [--dry-run]`: probes, plans the safe repair, runs it
// once, and verifies by probing again. Every step and per-peer answer is printed as it happens
// (and appended to --journal FILE when given). Exit 0 healthy at the end, 1 still damaged
// (refused, failed, or dry-run with damage), 2 could not probe.
import { randomUUID } from 'node:crypto';
import { runtimeOptions } from '../config/runtime.js';
import { errorMessage } from '../errors.js';
import { escapeControl as esc } from '../escape.js';
import { repairJournal } from '../journal/entries.js';
import { Journal } from '../journal/journal.js';
import type { JournalEntry, JournalSink } from '../journal/types.js';
import { repairContainer } from '../repair/execute.js';
import { describeStep } from '../repair/steps.js';
import { planRepair } from '../repair/plan.js';
import { CONTAINER_OPTIONS, CONTAINER_OPTIONS_USAGE, parse } from './args.js';
import { exitCodeFor, requiredKeys } from './check.js';
import { println, type CliIO, type Command } from './command.js';
import { EX_ERROR, EX_UNSUPPORTED_PROXY } from './exit-codes.js';
import { formatAnswers, formatPlan, formatReport } from './format.js';
import { adaptToProxyLine, openProxy, printUnsupportedProxy } from './proxy.js';
import { executedJson, untouchedJson } from './repair-json.js';
import { openTransport } from './transport.js';
import { containerTarget } from './target.js';

/** Prints repair progress from the journal entries the executor writes, and forwards them. */
function printingSink(io: CliIO, json: boolean, file?: JournalSink): JournalSink {
  return {
    async append(entry: JournalEntry) {
      if (file) await file.append(entry);
      if (json) return;
      switch (entry.type) {
        case 'step-start':
          println(io.stdout, `${entry.dryRun ? 'Would run' : 'Running'} step: ${esc(describeStep(entry.step))}`);
          break;
        case 'step-end':
          println(io.stdout, `  ${entry.status}: ${esc(entry.detail)}`);
          if (entry.answers && entry.answers.length > 0) println(io.stdout, formatAnswers(entry.answers));
          break;
        case 'verify':
          println(io.stdout, `Verification (round ${entry.round}): ${entry.verdict} — ${esc(entry.reason)}`);
          break;
        case 'escalate':
          println(io.stdout, `Escalation (round ${entry.round}): ${entry.reason}`);
          break;
        default:
          break;
      }
    },
  };
}

export const repairCommand: Command = {
  usage: `Usage: oio-repaird repair ACCOUNT/CONTAINER [options]
       oio-repaird repair --cid CID [options]

Probes every replica, plans the safe repair and runs it once, then probes again:
  - damaged slaves, healthy master and quorum: election sync of exactly those slaves;
  - damaged master: the master leaves the election (or, when it only lacks admin keys the
    healthy slaves agree on, those keys are written back through it); never a sync from it;
  - no healthy quorum: refused, nothing is touched.

Options:
  --dry-run              print the plan and change nothing
  --journal FILE         also append every step to this JSON-lines journal
${CONTAINER_OPTIONS_USAGE}

Exit status: 0 healthy at the end, 1 still damaged (refused, failed, dry-run), 2 error, 64 bad usage,
76 the proxy does not honour service_id (4.2.x/4.3.x) and --transport is proxy: nothing is probed or
repaired through it.`,
  async run(argv, io) {
    const { values, positionals } = parse('repair', argv, {
      ...CONTAINER_OPTIONS,
      'dry-run': { type: 'boolean' },
      journal: { type: 'string' },
    });
    const ref = containerTarget('repair', positionals, values.cid);
    const keys = requiredKeys(values['required-keys']);
    const json = values.json ?? false;
    const dryRun = values['dry-run'] ?? false;
    const opened = openProxy('repair', values, io.env);
    const transport = openTransport('repair', values, opened);
    let file: Journal | undefined;
    try {
      if (values.journal !== undefined) file = await Journal.open(values.journal);
    } catch (err) {
      await transport.close();
      await opened.close();
      println(io.stderr, `oio-repaird repair: ${errorMessage(err)}`);
      return EX_ERROR;
    }
    try {
      // Before any probe, and so before any sync, leave or write: a 4.2.x proxy would sync EVERY slave.
      // On 4.2.x/4.3.x (native transport only) the client sends sync without service_id (every slave).
      const line = await adaptToProxyLine('repair', opened, ref, transport.name, keys, io);
      if (typeof line === 'number') return line;
      // The verification after the repair reads through the same transport as the probe.
      const probe = (r: typeof ref) => transport.probe(r, { ...line, alwaysElection: true });
      const before = await probe(ref);
      if (before.error?.code === 'OIO_UNSUPPORTED_PROXY') {
        printUnsupportedProxy('repair', opened.url, before.error, io);
        return EX_UNSUPPORTED_PROXY;
      }
      const plan = planRepair(before);
      if (!json) {
        println(io.stdout, formatReport(before));
        println(io.stdout, formatPlan(plan));
      }
      // Nothing to do, or not to be touched yet: the executor is not called, nothing is sent.
      if (before.verdict === 'healthy' || plan.decision === 'wait') {
        if (json) println(io.stdout, JSON.stringify(untouchedJson(before, plan, dryRun), null, 2));
        return exitCodeFor(before);
      }
      // The daemon's repair settings (verification, wait for a master) from the same schema defaults.
      const rt = runtimeOptions(opened.config);
      const result = await repairContainer(opened.proxy, before, {
        ...rt.repair,
        dryRun,
        journal: repairJournal(printingSink(io, json, file), { evidenceMaxBytes: rt.evidenceMaxBytes }),
        probe,
        reqId: `oio-repaird-cli-${randomUUID()}`,
      });
      if (json) {
        println(io.stdout, JSON.stringify(executedJson(result, plan, dryRun), null, 2));
      } else {
        if (result.after) println(io.stdout, formatReport(result.after));
        println(io.stdout, `Outcome: ${result.outcome} — ${esc(result.reason)}`);
      }
      if (result.outcome === 'dry_run') return exitCodeFor(before);
      return result.outcome === 'succeeded' ? 0 : result.after ? Math.max(1, exitCodeFor(result.after)) : 1;
    } finally {
      await file?.close();
      await transport.close();
      await opened.close();
    }
  },
};
