// Argument parsing shared by every command, on node:util parseArgs (strict: unknown options
// and missing values are errors). Turns parseArgs' TypeErrors into UsageErrors with a precise
// message, and validates the common options (--proxy, --ns, numbers).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to a proxy accepts. */
export const PROXY_OPTIONS = {
  proxy: { type: 'string' },
  ns: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** Options of the commands that act on one container (check, repair). */
export const CONTAINER_OPTIONS = {
  ...PROXY_OPTIONS,
  cid: { type: 'string' },
  'required-keys': { type: 'string' },
  json: { type: 'boolean' },
  transport: { type: 'string' },
} as const satisfies OptionSpec;

/** Their usage lines, shared so the two commands document them alike. */
export const CONTAINER_OPTIONS_USAGE = `  --proxy URL            OpenIO proxy (default $OIO_REPAIRD_PROXY_URL or http://127.0.0.1:6006)
  --ns NAME              namespace (default $OIO_REPAIRD_NAMESPACE or OPENIO)
  --cid CID              address the container by its CID instead of its name
  --required-keys LIST   comma-separated admin keys a healthy replica must hold
  --timeout MS           per-request total timeout: connect, headers, body (default 10000)
  --transport T          read replicas through the proxy (default) or natively on each
                         meta2's port: proxy|native (repairs always go through the proxy)
  --json                 print the result as JSON
  -h, --help             this help`;

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: string[];
}

export function parse<const O extends OptionSpec>(command: string, argv: string[], options: O): Parsed<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; args: string[] }>>['values']> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err);
    throw new UsageError(message, command);
  }
}

/** The proxy URL: --proxy, else $OIO_REPAIRD_PROXY_URL, else the packaged default. Must be http(s). */
export function proxyUrl(command: string, value: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = value ?? env['OIO_REPAIRD_PROXY_URL'] ?? 'http://127.0.0.1:6006';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--proxy: ${JSON.stringify(raw)} is not a URL (expected e.g. http://10.0.0.1:6006)`, command);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--proxy: ${JSON.stringify(raw)} must use http or https`, command);
  }
  return url.origin;
}

/** The namespace: --ns, else $OIO_REPAIRD_NAMESPACE, else OPENIO. */
export function namespaceName(command: string, value: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const ns = value ?? env['OIO_REPAIRD_NAMESPACE'] ?? 'OPENIO';
  if (!/^[A-Za-z0-9_.-]+$/.test(ns)) throw new UsageError(`--ns: ${JSON.stringify(ns)} is not a namespace name`, command);
  return ns;
}

/** A positive integer option, with its bounds. */
export function intOption(command: string, name: string, value: string | undefined, dflt: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return dflt;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name}: ${JSON.stringify(value)} is not a whole number`, command);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name}: ${n} is out of range [${min}, ${max}]`, command);
  return n;
}

/** A number in [min, max] (e.g. a share). */
export function numberOption(command: string, name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}: ${JSON.stringify(value)} is not a number`, command);
  if (n < min || n > max) throw new UsageError(`--${name}: ${n} is out of range [${min}, ${max}]`, command);
  return n;
}
