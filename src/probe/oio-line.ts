// Which oio-sds line the proxy and meta2 services are, from signs seen in answers the daemon
// needs anyway (the once-per-sweep proxy check and the first replica table read), and what the
// daemon does about it: adapt, warn, or refuse. Pure: signs in, a decision out; the proxy check
// (proxy-guard.ts) gathers the signs and the sweeper and the CLI act on the decision.
import { LINE_TRAITS, type OioLine, type OioVersionSetting } from '../oio/versions.js';
import type { ProbeTransport } from './types.js';

/** What was seen; undefined = not seen (yet). */
export interface LineSigns {
  /** reference/show answered with `cid` (4.3.0+), or without (4.2.x). */
  readonly referenceCid?: boolean;
  /** A per-peer route or get_properties answered for peers other than the `service_id` asked (4.2.x/4.3.x). */
  readonly serviceIdIgnored?: boolean;
  /** conscience/list entries carry a `scores` object (master 9.0.0+). */
  readonly conscienceScores?: boolean;
  /** `has` answered `PATH:MTIME` (master 2025.41.0+). */
  readonly hasMtime?: boolean;
  /** The admin keys of one initialised replica (its line's creation keys, fact 38). */
  readonly tableKeys?: readonly string[];
}

export interface DetectedLine {
  /** The line to adapt to; undefined when nothing conclusive was seen. */
  readonly line: OioLine | undefined;
  /** What it is, honestly: e.g. "oio-sds 4.4–7.x" when the signs cannot narrow it further. */
  readonly label: string;
  /** The signs that decided, for the log. */
  readonly why: readonly string[];
}

/**
 * The line the signs show. 4.2 wins over everything (the one line where acting through the proxy
 * does harm); then master; then 5.x–7.x or 4.4 from the table's creation keys; a pre-master line
 * not narrowed further is taken as '4.4', whose traits are the most cautious of 4.4–7.x.
 */
export function detectLine(signs: LineSigns): DetectedLine {
  const keys = new Set(signs.tableKeys ?? []);
  const old: string[] = [];
  if (signs.referenceCid === false) old.push('reference/show answered without "cid" (4.2.x)');
  if (signs.serviceIdIgnored === true) old.push('service_id was ignored (4.2.x/4.3.x)');
  if (old.length > 0) return { line: '4.2', label: LINE_TRAITS['4.2'].label, why: old };
  const master: string[] = [];
  if (signs.conscienceScores === true) master.push('conscience/list has "scores" (9.0.0+)');
  if (signs.hasMtime === true) master.push('has answered PATH:MTIME (2025.41.0+)');
  if (keys.has('sys.m2.shards')) master.push('the admin table has sys.m2.shards');
  if (master.length > 0) return { line: 'master', label: LINE_TRAITS.master.label, why: master };
  const honoured = signs.referenceCid === true && signs.serviceIdIgnored === false;
  if (!honoured) return { line: undefined, label: 'not detected yet', why: ['no conclusive sign yet'] };
  const pre = ['reference/show has "cid" and service_id is honoured (4.4.0+)', 'no master sign (no conscience "scores", has without mtime)'];
  if (keys.has('sys.m2.chunks.missing') || keys.has('sys.m2.objects.damaged')) {
    return { line: '7', label: 'oio-sds 5.x–7.x', why: [...pre, 'the admin table has sys.m2.chunks.missing/sys.m2.objects.damaged'] };
  }
  if (keys.has('sys.m2.init')) return { line: '4.4', label: LINE_TRAITS['4.4'].label, why: [...pre, 'the admin table has neither the 5.x–7.x nor the master creation keys'] };
  return { line: '4.4', label: 'oio-sds 4.4–7.x', why: [...pre, 'no replica table read yet: the most cautious of 4.4–7.x is assumed'] };
}

export interface LineDecision extends DetectedLine {
  /** Stop: nothing may be probed or repaired through this proxy with this transport (the message says why and what to do). */
  readonly refuse?: string;
  /** Go on, but the operator should know (proxy transport on a line whose reads run elections). */
  readonly warn?: string;
}

const NATIVE_HINT = 'set probe.transport: native (check/repair: --transport native) to read each replica on its meta2 native port';

/** What to do with the signs, the configured `proxy.oioVersion` and the probe transport. */
export function decideLine(setting: OioVersionSetting, transport: ProbeTransport, signs: LineSigns): LineDecision {
  const detected = detectLine(signs);
  let decision: DetectedLine = detected;
  if (setting !== 'auto') {
    if (detected.line === '4.2' && setting !== '4.2') {
      return {
        ...detected,
        refuse: `proxy.oioVersion is ${setting} but the proxy is ${detected.label} (${detected.why.join('; ')}): it does not honour service_id, so a sync of one slave would resync every slave; set proxy.oioVersion to 4.2 (or auto) and ${NATIVE_HINT}`,
      };
    }
    const mismatch = detected.line !== undefined && detected.line !== setting ? ` (the proxy looks like ${detected.label}: ${detected.why.join('; ')})` : '';
    decision = { line: setting, label: LINE_TRAITS[setting].label, why: [`proxy.oioVersion: ${setting}${mismatch}`] };
  }
  if (decision.line === '4.2' && transport === 'proxy') {
    return {
      ...decision,
      refuse: `${decision.label} proxy (${decision.why.join('; ')}): it does not honour service_id on any admin route but leave, so no replica can be read or repaired one by one through it; ${NATIVE_HINT}`,
    };
  }
  if (decision.line !== undefined && !LINE_TRAITS[decision.line].readsLocal && transport === 'proxy') {
    return {
      ...decision,
      warn: `${decision.label}: the proxy has no local=1 (before 2025.28.0), so every per-replica read goes through the base's election and can start one or make peers copy the base (fact 30); ${NATIVE_HINT}`,
    };
  }
  return decision;
}
