// `oio-repaird journal [ACCOUNT/CONTAINER]`: prints recent journal entries (detections and
// repair steps with the per-peer state before and after), for one container or all; with
// `--evidence`, what each replica held before a step overwrote one, every key of its table.
import { errorMessage } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { EX_CONFIG, formatIssues } from '../config/errors.js';
import { formatEvidence, formatJournalEntries, scanJournal, type JournalFilter } from '../journal/read.js';
import { intOption, parse } from './args.js';
import { println, type Command } from './command.js';
import { containerTarget } from './target.js';

export const journalCommand: Command = {
  usage: `Usage: oio-repaird journal [ACCOUNT/CONTAINER | --cid CID] [options]

Options:
  --file FILE      journal file (default: journal.path of the configuration)
  --config FILE    configuration file to take journal.path from
  --limit N        the last N matching entries (default 50)
  --since TIME     only entries at or after TIME (ISO-8601)
  --evidence       only the evidence recorded before each overwrite (sync, write-back):
                   every replica's role, base, health and admin table, key by key
  --json           one JSON entry per line, as stored
  -h, --help       this help`,
  async run(argv, io) {
    const { values, positionals } = parse('journal', argv, {
      file: { type: 'string' },
      config: { type: 'string' },
      cid: { type: 'string' },
      limit: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
      evidence: { type: 'boolean' },
    });
    const filter: { -readonly [K in keyof JournalFilter]: JournalFilter[K] } = { limit: intOption('journal', 'limit', values.limit, 50, 1, 1_000_000) };
    if (positionals.length > 0 || values.cid !== undefined) filter.cid = containerTarget('journal', positionals, values.cid).cid;
    if (values.evidence) filter.types = ['evidence'];
    if (values.since !== undefined) {
      if (Number.isNaN(Date.parse(values.since))) {
        println(io.stderr, `oio-repaird journal: --since: ${JSON.stringify(values.since)} is not an ISO-8601 time`);
        return 64;
      }
      filter.since = values.since;
    }
    let path = values.file;
    if (path === undefined) {
      const loaded = await loadConfig(values.config, io.env);
      if (!loaded.ok) {
        println(io.stderr, `oio-repaird journal: give --file, or fix the configuration:\n${formatIssues(loaded.errors)}`);
        return EX_CONFIG;
      }
      path = loaded.config.journal.path;
    }
    try {
      const scan = await scanJournal(path, filter);
      if (values.json) for (const e of scan.entries) println(io.stdout, JSON.stringify(e));
      else if (scan.entries.length === 0) println(io.stdout, 'no matching entries');
      else println(io.stdout, values.evidence ? formatEvidence(scan.entries) : formatJournalEntries(scan.entries));
      if (scan.malformed > 0) println(io.stderr, `warning: skipped ${scan.malformed} malformed line(s) (e.g. line ${scan.malformedLines.join(', ')})`);
      return 0;
    } catch (err) {
      println(io.stderr, `oio-repaird journal: ${errorMessage(err)}`);
      return 2;
    }
  },
};
