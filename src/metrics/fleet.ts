// The fleet-mode metrics (src/fleet/), declared with the others into the daemon's registry. Every
// series exists from the start at 0 (fleet_enabled 0 on a daemon alone), so alert rules and
// dashboard panels get data whether or not the daemon is in a fleet.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface FleetMetrics {
  readonly enabled: Gauge;
  readonly members: Gauge;
  readonly expectedMembers: Gauge;
  readonly ownedBuckets: Gauge;
  readonly ownedBucketsDone: Gauge;
  readonly epoch: Gauge;
  readonly bucketsDone: Gauge;
  readonly sessionUp: Gauge;
  readonly leader: Gauge;
  readonly lockContention: Counter;
  readonly fencedRequests: Counter;
  readonly budgetRemaining: Gauge;
}

export function createFleetMetrics(registers: Registry[]): FleetMetrics {
  const f: FleetMetrics = {
    enabled: new Gauge({ name: 'oio_repaird_fleet_enabled', help: '1 when the daemon runs in fleet mode (a fleet section is configured), 0 when it is alone.', registers }),
    members: new Gauge({ name: 'oio_repaird_fleet_members', help: 'Fleet members this daemon sees in ZooKeeper (itself included); 0 while its session is not connected or alone.', registers }),
    expectedMembers: new Gauge({ name: 'oio_repaird_fleet_expected_members', help: 'fleet.expectedMembers (0 when unset or alone): the fleet-smaller-than-expected alert compares members with it.', registers }),
    ownedBuckets: new Gauge({ name: 'oio_repaird_fleet_owned_buckets', help: 'CID-prefix buckets (of 4096) this member owns now; 0 while fenced (session lost or suspended) or alone.', registers }),
    ownedBucketsDone: new Gauge({ name: 'oio_repaird_fleet_owned_buckets_done', help: 'Of the buckets this member owns now, those recorded done in the current epoch: its own share of the epoch\'s progress (of oio_repaird_fleet_owned_buckets).', registers }),
    epoch: new Gauge({ name: 'oio_repaird_fleet_epoch', help: 'The fleet sweep (epoch) in progress or last completed; 0 before the first or alone.', registers }),
    bucketsDone: new Gauge({ name: 'oio_repaird_fleet_buckets_done', help: 'Buckets (of 4096) recorded done in the current epoch by the whole fleet: the fleet-wide progress.', registers }),
    sessionUp: new Gauge({ name: 'oio_repaird_fleet_session_up', help: '1 while the ZooKeeper session is connected and the member joined; 0 while it is lost or suspended (fenced: no mutation, no probing). 1 when alone.', registers }),
    leader: new Gauge({ name: 'oio_repaird_fleet_leader', help: '1 on the member elected to start epochs and write the fleet summary.', registers }),
    lockContention: new Counter({ name: 'oio_repaird_fleet_lock_contention_total', help: 'Repairs not started because another member held the container\'s fleet lock.', registers }),
    fencedRequests: new Counter({ name: 'oio_repaird_fleet_fenced_requests_total', help: 'Mutating requests refused before being sent because the member was fenced (ZooKeeper session lost, suspended, or lock gone).', registers }),
    budgetRemaining: new Gauge({ name: 'oio_repaird_fleet_budget_remaining', help: 'Repairs the whole fleet may still start (per-hour and per-epoch budget shared in ZooKeeper), as last read by this member; 0 when alone.', registers }),
  };
  f.sessionUp.set(1);
  for (const g of [f.enabled, f.members, f.expectedMembers, f.ownedBuckets, f.ownedBucketsDone, f.epoch, f.bucketsDone, f.leader, f.budgetRemaining]) g.set(0);
  f.lockContention.inc(0);
  f.fencedRequests.inc(0);
  return f;
}
