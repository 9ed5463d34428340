// The gates `explain` shows for one container, evaluated read-only from the configuration and
// the state directory as the daemon would evaluate them now: the schedule's time windows, then
// the repair gate's own checks (mode, master repair, hold, cooldown or backoff, budgets) on the
// saved repair history. Each gate carries its reason code; the first that blocks decides.
import { isWithinWindows, type TimeWindow } from '../schedule/windows.js';
import { activeBlackout, type BlackoutEntry } from '../controls/blackouts.js';
import { controlBlocks, type ControlBlock } from '../controls/gates.js';
import { NO_CONTROLS } from '../controls/types.js';
import { keyOf } from '../daemon/stall-watch.js';
import type { ContainerReport } from '../probe/types.js';
import { RepairGate, type GateCheck, type RepairPolicy } from '../sweep/repair-gate.js';
import type { ExplainGate } from './explain.js';
import type { DaemonState } from './state-reader.js';

export interface GateInputs {
  readonly policy: RepairPolicy;
  readonly windows: readonly TimeWindow[];
  readonly timezone: string;
  /** schedule.blackouts (in `timezone`). */
  readonly blackouts: readonly BlackoutEntry[];
  /** sweep.stallSkipAfter: a container that stalled this many sweeps in a row is skipped once. */
  readonly stallSkipAfter: number;
  readonly state: DaemonState;
  readonly report: ContainerReport;
  readonly now: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function windowGate(windows: readonly TimeWindow[], timezone: string, now: number): ExplainGate {
  if (windows.length === 0) return { gate: 'window', code: 'SKIPPED_WINDOW', blocks: false, detail: 'no schedule.windows: sweeps may run at any time' };
  const inside = isWithinWindows(new Date(now), windows, timezone);
  const list = windows.map((w) => `${w.days ? `${w.days.join(',')} ` : ''}${w.start}-${w.end}`).join('; ');
  return {
    gate: 'window',
    code: 'SKIPPED_WINDOW',
    blocks: !inside,
    detail: inside ? `inside schedule.windows (${list}, ${timezone})` : `outside schedule.windows (${list}, ${timezone}): the sweep is paused`,
  };
}

/** A container that stalled sweep.stallSkipAfter sweeps in a row is skipped (not probed) by the next one. */
export function stallGate(input: Pick<GateInputs, 'state' | 'report' | 'stallSkipAfter'>): ExplainGate {
  const stalls = input.state.stalls.kind === 'read' ? (input.state.stalls.value[keyOf(input.report.ref)] ?? 0) : 0;
  const skipped = stalls >= input.stallSkipAfter;
  const detail = skipped
    ? `it stalled ${stalls} sweep(s) in a row (sweep.stallSkipAfter is ${input.stallSkipAfter}): the next sweep skips it, unprobed`
    : stalls > 0 ? `it stalled ${stalls} of ${input.stallSkipAfter} sweep(s) before being skipped` : 'it stalled no sweep';
  return { gate: 'stalled', code: 'SKIPPED_STALLED', blocks: skipped, detail };
}

/** The repair gate rebuilt from the saved history, as the running (or next) sweep sees it. */
export function restoredGate(policy: RepairPolicy, state: DaemonState, now: number, controls: () => readonly ControlBlock[] = () => []): RepairGate {
  const gate = new RepairGate(policy, { now: () => now, controls });
  if (state.gate.kind === 'read') gate.restore(state.gate.value);
  const saved = state.gate.kind === 'read' ? state.gate.value.sweep : undefined;
  const running = state.sweep.kind === 'read' ? state.sweep.value.sweepId : undefined;
  if (saved !== undefined && saved.id === running) gate.resumeSweep(0, running);
  else gate.beginSweep();
  return gate;
}

function fromCheck(check: GateCheck, sweepRunning: boolean): ExplainGate {
  const detail = check.gate === 'budget-sweep' && !sweepRunning ? `no sweep in progress: the next one starts with 0 of its budget used` : check.detail;
  return { gate: check.gate, code: check.code, blocks: check.blocks, detail, ...(check.until !== undefined ? { until: iso(check.until) } : {}) };
}

export function explainGates(input: GateInputs): ExplainGate[] {
  const { state, now } = input;
  const gates: ExplainGate[] = [windowGate(input.windows, input.timezone, now), stallGate(input)];
  if (state.gate.kind === 'bad') {
    gates.push({
      gate: 'state',
      code: 'SKIPPED_HOLD',
      blocks: true,
      detail: `the repair history ${state.gate.path} is unusable (${state.gate.error}): a daemon reading it holds repairs for an hour`,
    });
  }
  const sweepRunning = state.sweep.kind === 'read';
  const controls = state.controls.kind === 'read' ? state.controls.value : NO_CONTROLS;
  const blocks = controlBlocks(controls, activeBlackout(input.blackouts, input.timezone, now), now);
  if (state.controls.kind === 'bad') {
    gates.push({
      gate: 'state',
      code: 'BREAKER_OPEN',
      blocks: true,
      detail: `the operator controls ${state.controls.path} are unusable (${state.controls.error}): a daemon reading them opens the circuit breaker`,
    });
  }
  const checks = restoredGate(input.policy, state, now, () => blocks).checks(input.report);
  return [...gates, ...checks.map((c) => fromCheck(c, sweepRunning))];
}
