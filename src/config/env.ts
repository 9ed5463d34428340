// The small, documented set of OIO_REPAIRD_* environment overrides. They are merged into the
// parsed file BEFORE validation (precedence: defaults < file < environment), so a bad value
// from the environment is reported like a bad value from the file, naming the variable.
// An empty variable counts as unset (systemd `Environment=NAME=` is a common way to clear one).

export const DEFAULT_CONFIG_PATH = '/etc/oio-repaird/config.yaml';

export interface EnvOverride {
  readonly name: string;
  /** Dotted setting path the variable overrides. */
  readonly path: string;
  readonly description: string;
  /** Turns the variable's text into the value the schema expects (unchanged when it cannot). */
  readonly coerce?: (text: string) => unknown;
}

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true, '1': true, yes: true, on: true,
  false: false, '0': false, no: false, off: false,
};

function booleanWord(text: string): unknown {
  return BOOLEAN_WORDS[text.trim().toLowerCase()] ?? text;
}

/** The name of the variable holding the configuration file path (not a setting). */
export const CONFIG_PATH_ENV = 'OIO_REPAIRD_CONFIG';

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'OIO_REPAIRD_PROXY_URL', path: 'proxy.url', description: 'URL of the OpenIO proxy (oio-proxy), e.g. http://127.0.0.1:6006' },
  { name: 'OIO_REPAIRD_NAMESPACE', path: 'proxy.namespace', description: 'OpenIO namespace, e.g. OPENIO' },
  {
    name: 'OIO_REPAIRD_ACCOUNT_URL',
    path: 'account.url',
    description: 'URL of the account service; "discover" finds it through the conscience',
    coerce: (text) => (text === 'discover' ? null : text),
  },
  { name: 'OIO_REPAIRD_METRICS_LISTEN', path: 'metrics.listen', description: 'host:port of the /metrics, /healthz, /readyz server' },
  {
    name: 'OIO_REPAIRD_METRICS_ALLOW_REMOTE',
    path: 'metrics.allowRemote',
    description: 'true/false: allow a metrics.listen address that is not loopback',
    coerce: booleanWord,
  },
  { name: 'OIO_REPAIRD_LOG_LEVEL', path: 'log.level', description: 'fatal, error, warn, info, debug, trace or silent' },
  {
    name: 'OIO_REPAIRD_DRY_RUN',
    path: 'repair.dryRun',
    description: 'true/false: plan and journal repairs without making any changing call',
    coerce: booleanWord,
  },
  { name: 'OIO_REPAIRD_STATE_DIR', path: 'state.dir', description: 'directory for the journal and sweep state' },
];

/** Which file to read: the explicit path, else $OIO_REPAIRD_CONFIG, else /etc/oio-repaird/config.yaml. */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = env[CONFIG_PATH_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CONFIG_PATH;
}

export interface EnvMerge {
  /** The file's object with the overrides written in (a copy; the input is not modified). */
  readonly merged: Record<string, unknown>;
  /** Setting path → variable name, for every override applied. */
  readonly origins: ReadonlyMap<string, string>;
}

export function applyEnvOverrides(fromFile: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvMerge {
  const merged = structuredClone(fromFile);
  const origins = new Map<string, string>();
  for (const override of ENV_OVERRIDES) {
    const text = env[override.name];
    if (text === undefined || text === '') continue;
    const value = override.coerce ? override.coerce(text) : text;
    if (setPath(merged, override.path.split('.'), value)) origins.set(override.path, override.name);
  }
  return { merged, origins };
}

/**
 * Sets a nested value, creating missing sections. A section the file set to something that is
 * not a mapping is left alone (false), so the schema still reports the file's mistake.
 */
function setPath(target: Record<string, unknown>, keys: readonly string[], value: unknown): boolean {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) return false;
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
  return true;
}
