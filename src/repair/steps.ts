// Facts about repair steps that several layers need: which steps overwrite replicas' data, and
// the one way a step is described to a person (CLI output, journal listing, dry-run reasons).
// Texts are raw: whoever prints them escapes them (src/escape.ts).
import type { RepairStep } from './types.js';

/** Steps that overwrite a replica's data; the others (leave, await-master) change roles only. */
export function overwritesReplicas(step: RepairStep): boolean {
  return step.kind === 'sync' || step.kind === 'set-properties';
}

/** `master`, when known, is named where the step reads or writes through it. */
export function describeStep(step: RepairStep, master?: string): string {
  const theMaster = master ? `the master ${master}` : 'the master';
  switch (step.kind) {
    case 'sync': return `election sync of ${step.peers.join(', ')} from ${theMaster}`;
    case 'leave': return `master ${step.peer} leaves the election`;
    case 'await-master': return `wait until the election settles on a master other than ${step.notPeer} (healthy at the probe: ${step.candidates.join(', ')})`;
    case 'set-properties': return `write ${Object.entries(step.values).map(([k, v]) => `${k}=${v}`).join(', ')} through ${theMaster}`;
  }
}

/** The steps of a plan, in order. */
export function describeSteps(steps: readonly RepairStep[]): string {
  return steps.map((step) => describeStep(step)).join(', then ');
}
