// The simulator's scenario: explicit services, containers and faults, plus an optional seeded
// generated namespace. Parsed from YAML and validated with zod once, at the edge; every error
// names the field (`faults[2].peer: …`). demoScenario() is the `npm start` demo.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { PeerId } from '../oio/types.js';
import { type FaultSpec, REPLICA_FAULT_KINDS } from './faults.js';
import { OIO_VERSIONS, type OioVersion } from './versions.js';
import { type GenerateOptions, type GeneratedDamage, GeneratedNamespace } from './generator.js';
import type { LoadSpec } from './load.js';

export interface ScenarioContainer {
  readonly account: string;
  readonly name: string;
  /** Default: 3 services chosen deterministically from the CID. */
  readonly peers?: readonly PeerId[];
  /** Default: the first peer. The others follow in `peers` order in the election. */
  readonly master?: PeerId;
  readonly objects?: number;
  readonly bytes?: number;
  /** sys.m2.ctime in µs (default derived from the CID). */
  readonly ctime?: number;
  /** User properties (stored `user.<key>`). */
  readonly properties?: Readonly<Record<string, string>>;
}

export interface Scenario {
  readonly namespace?: string;
  readonly services?: readonly PeerId[];
  readonly containers?: readonly ScenarioContainer[];
  readonly faults?: readonly FaultSpec[];
  readonly generate?: GenerateOptions;
  /** Delay before a sync's copy lands on a slave (default 20 ms). */
  readonly syncDelayMs?: number;
  readonly latencyMs?: number;
  /** Seed of the simulator's own random choices (default 1). */
  readonly seed?: number;
  /** `server.periodic_decache.period` in ms (0 = never, the default). */
  readonly decachePeriodMs?: number;
  /** Delay of a restore from the master (default 1500). */
  readonly restoreDelayMs?: number;
  /** false: no account service in the conscience (`conscience/list?type=account` → 404/453). */
  readonly accountService?: boolean;
  /** Time from a kill (`down`) until the conscience marks the service down (default 15000). */
  readonly markDownAfterMs?: number;
  /** Proxy version to impersonate (default 'master'; see src/sim/versions.ts). */
  readonly oioVersion?: OioVersion;
  /** Capacity of the proxy and the meta2 services, and background client traffic (src/sim/load.ts); none by default. */
  readonly load?: LoadSpec;
}

export class ScenarioError extends Error {
  readonly code = 'SIM_BAD_SCENARIO';
  constructor(message: string, readonly field: string, readonly file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'ScenarioError';
  }
}

const peerId = z.string().regex(/^[^\s,]+:\d+$/, 'must be a service address IP:PORT');
const name = z.string().min(1);
const target = {
  account: name.optional(),
  container: name.optional(),
  cid: z.string().regex(/^[0-9A-F]{64}$/, 'must be 64 uppercase hex characters').optional(),
};
const replicaTarget = { ...target, peer: peerId.optional(), role: z.enum(['master', 'slave']).optional() };
const count = z.number().int().positive().optional();
const onDisk = z.boolean().optional();

const stationSchema = { workers: z.number().int().positive(), serviceMs: z.number().nonnegative() };
export const loadSchema = z.strictObject({
  proxy: z.strictObject(stationSchema).optional(),
  meta2: z.strictObject({ ...stationSchema, maxQueueMs: z.number().positive().optional() }).optional(),
  backgroundRps: z.number().nonnegative().optional(),
});

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('drop-keys'), ...replicaTarget, onDisk, keys: z.array(name).optional() }),
  z.strictObject({ kind: z.literal('malform-key'), ...replicaTarget, onDisk, key: name, value: z.string() }),
  z.strictObject({ kind: z.enum(['missing-base', 'corrupt-base', 'truncate-base']), ...replicaTarget, onDisk }),
  z.strictObject({ kind: z.enum(['down', 'up']), service: peerId }),
  z.strictObject({ kind: z.literal('slow'), service: peerId, ms: z.number().int().nonnegative() }),
  z.strictObject({ kind: z.enum(['error-burst', 'malformed-json']), service: peerId, count }),
  z.strictObject({ kind: z.enum(['no-master', 'multi-master']), ...target }),
]);

const damageSchema = z.string().refine((s) => {
  if (s === 'two-of-three') return true;
  const kind = s.replace(/^(master|slave):/, '');
  return (REPLICA_FAULT_KINDS as readonly string[]).includes(kind);
}, 'must be a replica fault kind, optionally prefixed master: or slave:, or two-of-three');

const generateSchema = z.strictObject({
  containers: z.number().int().nonnegative(),
  accounts: z.number().int().positive().optional(),
  services: z.number().int().positive().optional(),
  replicas: z.number().int().positive().optional(),
  damagedShare: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  kinds: z.array(damageSchema).optional(),
  firstPort: z.number().int().min(1).max(65_535).optional(),
});

const scenarioSchema = z.strictObject({
  namespace: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a namespace name').optional(),
  services: z.array(peerId).optional(),
  containers: z.array(z.strictObject({
    account: name,
    name,
    peers: z.array(peerId).min(1).optional(),
    master: peerId.optional(),
    objects: z.number().int().nonnegative().optional(),
    bytes: z.number().int().nonnegative().optional(),
    ctime: z.number().int().positive().optional(),
    properties: z.record(z.string(), z.string()).optional(),
  })).optional(),
  faults: z.array(faultSchema).optional(),
  generate: generateSchema.optional(),
  syncDelayMs: z.number().int().nonnegative().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  seed: z.number().int().optional(),
  oioVersion: z.enum(OIO_VERSIONS).optional(),
  markDownAfterMs: z.number().int().nonnegative().optional(),
  accountService: z.boolean().optional(),
  decachePeriodMs: z.number().int().nonnegative().optional(),
  restoreDelayMs: z.number().int().nonnegative().optional(),
  load: loadSchema.optional(),
});

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

/** Validates a parsed scenario object; throws ScenarioError naming the first bad field. */
export function parseScenario(input: unknown, file?: string): Scenario {
  const parsed = scenarioSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new ScenarioError('invalid scenario', '(root)', file);
    let path = [...issue.path];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0] ?? ''];
      message = 'unknown field';
    }
    const field = fieldPath(path);
    throw new ScenarioError(`${field}: ${message}`, field, file);
  }
  const scenario = parsed.data as Scenario;
  crossCheck(scenario, file);
  return scenario;
}

/** Checks references between sections: peers are services, masters are peers, faults name real things. */
function crossCheck(s: Scenario, file?: string): void {
  const fail = (field: string, message: string): never => { throw new ScenarioError(`${field}: ${message}`, field, file); };
  const services = new Set(s.services ?? []);
  const explicitServices = s.services !== undefined;
  const names = new Set<string>();
  (s.containers ?? []).forEach((c, i) => {
    const key = `${c.account}\0${c.name}`;
    if (names.has(key)) fail(`containers[${i}]`, `duplicate container ${c.account}/${c.name}`);
    names.add(key);
    c.peers?.forEach((p, k) => { if (explicitServices && !services.has(p)) fail(`containers[${i}].peers[${k}]`, `${p} is not in services`); });
    if (c.peers && new Set(c.peers).size !== c.peers.length) fail(`containers[${i}].peers`, 'a peer is listed twice');
    if (c.master !== undefined && c.peers && !c.peers.includes(c.master)) fail(`containers[${i}].master`, `${c.master} is not one of its peers`);
    if (!c.peers && explicitServices && services.size < 3) fail(`containers[${i}].peers`, 'required when fewer than 3 services are listed');
  });
  const generated = s.generate ? new GeneratedNamespace(s.generate, s.namespace ?? 'OPENIO') : undefined;
  (s.faults ?? []).forEach((f, i) => {
    if ('service' in f) {
      const known = (explicitServices ? services.has(f.service) : false) || (generated?.services.includes(f.service) ?? false)
        || (s.containers ?? []).some((c) => c.peers?.includes(f.service));
      if (!known) fail(`faults[${i}].service`, `${f.service} is not a service of the scenario`);
      return;
    }
    if (f.cid !== undefined) return;
    if (f.account === undefined) fail(`faults[${i}].account`, 'required (or cid)');
    if (f.container === undefined) fail(`faults[${i}].container`, 'required (or cid)');
    const account = f.account as string;
    const container = f.container as string;
    if (!names.has(`${account}\0${container}`) && generated?.containerIndex(account, container) === undefined) {
      fail(`faults[${i}].container`, `no container ${account}/${container} in the scenario`);
    }
    if ('peer' in f && f.peer !== undefined && 'role' in f && f.role !== undefined) fail(`faults[${i}].role`, 'give peer or role, not both');
  });
}

/** Reads and validates a YAML scenario file. */
export async function loadScenario(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioError(`not valid YAML: ${(err as Error).message}`, '(root)', path);
  }
  return parseScenario(doc, path);
}

const DEMO_SERVICES = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134', '127.0.0.1:6135'] as const;

/** The `npm start` demo: one container per kind of damage plus a dozen healthy ones. */
export function demoScenario(): Scenario {
  const [s1, s2, s3, s4, s5] = DEMO_SERVICES;
  const healthy: ScenarioContainer[] = [
    ['myaccount', 'docs'], ['myaccount', 'music'], ['myaccount', 'videos'], ['myaccount', 'projects'],
    ['acme', 'web'], ['acme', 'db'], ['acme', 'cache'], ['acme', 'queue'],
    ['archive', 'backup-02'], ['archive', 'backup-03'], ['archive', 'old'], ['archive', 'misc'],
  ].map(([account, container], k) => {
    const ring = [...DEMO_SERVICES.slice(k % 5), ...DEMO_SERVICES.slice(0, k % 5)];
    return { account: account as string, name: container as string, peers: ring.slice(0, 3) };
  });
  const damaged: Array<{ c: ScenarioContainer; f: FaultSpec }> = [
    // The seed's case: one slave of myaccount/FVE0 lacks sys.m2.ctime.
    { c: { account: 'myaccount', name: 'FVE0', peers: [s1, s2, s3], master: s2 }, f: { kind: 'drop-keys', account: 'myaccount', container: 'FVE0', peer: s1, keys: ['sys.m2.ctime'] } },
    { c: { account: 'myaccount', name: 'photos', peers: [s2, s3, s4], master: s2 }, f: { kind: 'missing-base', account: 'myaccount', container: 'photos', peer: s4 } },
    { c: { account: 'acme', name: 'invoices', peers: [s3, s4, s5], master: s3 }, f: { kind: 'corrupt-base', account: 'acme', container: 'invoices', peer: s5 } },
    { c: { account: 'acme', name: 'logs-2024', peers: [s1, s4, s5], master: s4 }, f: { kind: 'drop-keys', account: 'acme', container: 'logs-2024', peer: s4, keys: ['sys.m2.ctime'] } },
    { c: { account: 'archive', name: 'backup-01', peers: [s1, s2, s5], master: s5 }, f: { kind: 'missing-base', account: 'archive', container: 'backup-01', peer: s5 } },
    { c: { account: 'archive', name: 'tapes', peers: [s2, s3, s5], master: s3 }, f: { kind: 'drop-keys', account: 'archive', container: 'tapes', peer: s3, keys: ['sys.m2.ctime'] } },
  ];
  const faults: FaultSpec[] = damaged.map((d) => d.f);
  // archive/tapes: a second replica damaged, so 2 of 3 lack sys.m2.ctime (no healthy majority).
  faults.push({ kind: 'missing-base', account: 'archive', container: 'tapes', peer: s2 });
  return {
    namespace: 'OPENIO',
    services: [...DEMO_SERVICES],
    containers: [...damaged.map((d) => d.c), ...healthy],
    faults,
  };
}

export type { GeneratedDamage };

/** Validates one fault specification (the body of `POST /__sim/inject`). */
export function parseFault(input: unknown): FaultSpec {
  const parsed = faultSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? [...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [])] : [];
    const field = fieldPath(path);
    throw new ScenarioError(`${field}: ${issue?.code === 'unrecognized_keys' ? 'unknown field' : issue?.message ?? 'invalid fault'}`, field);
  }
  return parsed.data as FaultSpec;
}
