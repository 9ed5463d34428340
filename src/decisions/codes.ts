// The one catalogue of reason codes: a stable name for every decision the daemon and the CLI make
// about a container (verdict, plan, refusal, wait, skip, escalation, outcome). The journal, the
// logs, every `--json` output and oio_repaird_decisions_total{code} carry these names; README's
// "Reason codes" table is checked against this file. Reason codes say WHY something was (not)
// done; they are not error codes (those name a failure: src/oio/errors.ts and friends).
// Add a code here (never a bare string elsewhere); renaming one breaks operators' alerts and scripts.

/** What kind of decision a code names. */
export type DecisionKind = 'verdict' | 'plan' | 'refusal' | 'wait' | 'skip' | 'escalation' | 'outcome';

export const DECISION_KINDS: readonly DecisionKind[] = ['verdict', 'plan', 'refusal', 'wait', 'skip', 'escalation', 'outcome'];

export interface ReasonCodeInfo {
  readonly kind: DecisionKind;
  /** One sentence for operators (README's table says the same). */
  readonly meaning: string;
}

export const REASON_CODES = {
  // Verdicts: what the probe concluded about the container.
  HEALTHY: { kind: 'verdict', meaning: 'every replica is healthy: nothing to do' },
  REPAIRABLE: { kind: 'verdict', meaning: 'damaged slaves, a healthy master and a healthy quorum: the slaves can be synced' },
  MASTER_DAMAGED: { kind: 'verdict', meaning: 'the master is damaged and the other replicas hold a healthy quorum' },

  // Plans: what a repair would send.
  PLAN_SYNC: { kind: 'plan', meaning: 'sync the damaged slaves from the healthy master (`admin/sync`)' },
  PLAN_WRITE_BACK: { kind: 'plan', meaning: 'write the keys the master lacks back through it, as every healthy slave holds them (`admin/set_properties`)' },
  PLAN_LEAVE: { kind: 'plan', meaning: 'the damaged master leaves the election, then wait for a new master (`admin/leave`)' },

  // Refusals: never touched, a human decides.
  REFUSED_NO_QUORUM: { kind: 'refusal', meaning: 'fewer healthy replicas than a quorum, even counting the unseen ones as healthy' },
  REFUSED_NO_HEALTHY_SLAVE: { kind: 'refusal', meaning: 'the master is damaged and no healthy slave could take over' },
  REFUSED_MASTER_REPAIR_OFF: { kind: 'refusal', meaning: 'the master is damaged and `repair.repairMaster` is off' },

  // Waits: cannot be judged now; the next sweep looks again.
  PEER_UNREACHABLE: { kind: 'wait', meaning: 'a replica could not be read (unreachable, timed out) and the damage cannot be judged without it' },
  WAIT_ELECTION: { kind: 'wait', meaning: 'no master, several masters, or the replicas do not agree on one master' },
  WAIT_MASTER_NOT_HEALTHY: { kind: 'wait', meaning: 'the master is not in the state the plan needs (never sync from a master that is not healthy)' },
  WAIT_NO_PEERS: { kind: 'wait', meaning: 'no meta2 peer was located for the container' },
  PROBE_FAILED: { kind: 'wait', meaning: 'the probe itself failed (proxy error, bad answer): nothing was judged' },

  // Skips: a repair was possible but a gate held it back.
  SKIPPED_REPORT_ONLY: { kind: 'skip', meaning: '`repair.mode` is `report-only`: the repair is planned and journaled, never sent' },
  SKIPPED_COOLDOWN: { kind: 'skip', meaning: 'the container was repaired recently (`repair.cooldownSeconds`)' },
  SKIPPED_BACKOFF: { kind: 'skip', meaning: 'earlier attempts on the container failed: it waits for its backoff (`repair.backoffSeconds`…`backoffMaxSeconds`)' },
  SKIPPED_BUDGET: { kind: 'skip', meaning: 'the per-sweep or per-hour repair budget is spent' },
  SKIPPED_HOLD: { kind: 'skip', meaning: 'repairs are held (one hour after the repair history was found corrupt or unreadable at start)' },
  SKIPPED_WINDOW: { kind: 'skip', meaning: 'outside the schedule\'s time windows: the sweep is paused' },
  SKIPPED_SUSPENDED: { kind: 'skip', meaning: 'repairs are suspended by an operator' },
  BREAKER_OPEN: { kind: 'skip', meaning: 'the mass-damage circuit breaker is open: automatic repair stopped, probing goes on' },
  SKIPPED_BLACKOUT: { kind: 'skip', meaning: 'a blackout of `schedule.blackouts` is in force: no repair, probing goes on' },
  SKIPPED_NOT_JOURNALED: { kind: 'skip', meaning: 'the detection could not be written to the journal: no repair without a record' },
  SKIPPED_STALLED: { kind: 'skip', meaning: 'the container stalled `sweep.stallSkipAfter` sweeps in a row: not probed this sweep' },
  SKIPPED_FLEET_LOCK: { kind: 'skip', meaning: 'fleet mode: another member holds the container\'s fleet lock (it is repairing it): nothing sent, the next epoch looks again' },
  WAIT_FLEET_FENCED: { kind: 'wait', meaning: 'fleet mode: the member\'s ZooKeeper session is lost or suspended: its sweep pauses, no probe and no mutating request until the session is back' },
  SWEEP_MAX_DURATION: { kind: 'wait', meaning: 'the sweep lasted `sweep.maxDurationSeconds`: it stopped, saved its position, and resumes from there at the next scheduled slot' },

  // Escalations: an action was proven useless.
  ESCALATED: { kind: 'escalation', meaning: 'an action had no effect (re-read): the next round does something else' },
  STOPPED_NO_EFFECT: { kind: 'escalation', meaning: 'every safe action left already had no effect: the repair stops, it needs a human' },

  // Outcomes: how an attempt ended.
  REPAIR_SUCCEEDED: { kind: 'outcome', meaning: 'repaired, and every replica was re-read healthy' },
  REPAIR_FAILED: { kind: 'outcome', meaning: 'a step failed, or the verification ran out before every replica was healthy' },
  REPAIR_DRY_RUN: { kind: 'outcome', meaning: 'planned only (`--dry-run`, or report-only mode): nothing sent' },
  STOPPED_BY_CONTROL: { kind: 'outcome', meaning: 'a suspension, the circuit breaker or a blackout began while the repair ran: it stopped before its next mutating request; not a failed attempt (no backoff)' },
} as const satisfies Record<string, ReasonCodeInfo>;

export type ReasonCode = keyof typeof REASON_CODES;

/** Every code, in catalogue order (the label values of oio_repaird_decisions_total). */
export const ALL_REASON_CODES: readonly ReasonCode[] = Object.keys(REASON_CODES) as ReasonCode[];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.hasOwn(REASON_CODES, value);
}

export function reasonKind(code: ReasonCode): DecisionKind {
  return REASON_CODES[code].kind;
}
