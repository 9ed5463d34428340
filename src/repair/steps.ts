// Facts about repair steps that several layers need: which steps overwrite replicas' data.
import type { RepairStep } from './types.js';

/** Steps that overwrite a replica's data; the others (leave, await-master) change roles only. */
export function overwritesReplicas(step: RepairStep): boolean {
  return step.kind === 'sync' || step.kind === 'set-properties';
}
