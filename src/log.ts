// The process logger: pino JSON lines on stdout, written synchronously so that no exit path
// (SIGTERM, a fatal error) loses the last line (see node-daemon-notes §1.1). Under systemd each
// line gets a `<N>` priority prefix so `journalctl -p err` works; pretty output is a pipe away
// (`| npx pino-pretty`), never a transport in production.
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  readonly level?: string;
  /** Where lines go (default: stdout, fd 1). Tests pass a stream. */
  readonly destination?: pino.DestinationStream;
  /** Add journald's `<N>` priority prefix (default: when $JOURNAL_STREAM is set). */
  readonly journald?: boolean;
}

const JOURNALD_PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

export function createLogger(opts: LogOptions = {}): Logger {
  const journald = opts.journald ?? Boolean(process.env['JOURNAL_STREAM']);
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: opts.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label, number) => ({ level: label, levelValue: number }) },
      ...(journald
        ? {
            hooks: {
              streamWrite(line: string): string {
                const m = /"levelValue":(\d+)/.exec(line);
                const prio = m ? (JOURNALD_PRIORITY[Number(m[1])] ?? 6) : 6;
                return `<${prio}>${line}`;
              },
            },
          }
        : {}),
    },
    destination,
  );
}

/** A logger that drops everything (library code called from tests and the CLI). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
