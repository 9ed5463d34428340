// The resume watermark of a sweep. Containers are admitted in enumeration order but finish
// out of order (concurrency, per-service gating), so the safe resume point is the container
// just BEFORE the lowest one not yet finished, and the containers that finished beyond it are
// remembered by name: a restart from the watermark never skips an unprobed container and never
// probes (nor counts) a finished one twice, so a resumed sweep counts like one that never stopped.
import type { SweepPosition } from '../discover/enumerate.js';

export type Ticket = number;

interface Admitted {
  /** Position of the container admitted just before this one (null: the start). */
  readonly previous: SweepPosition | null;
  readonly position: SweepPosition;
  finished: boolean;
}

const key = (p: SweepPosition): string => JSON.stringify([p.account, p.container]);

export class Watermark {
  /** Admitted containers from the lowest unfinished one on, in admission order (Map keeps insertion order). */
  private readonly window = new Map<Ticket, Admitted>();
  /** Finished beyond the watermark by an earlier run and not met again yet. */
  private readonly carried: Map<string, SweepPosition>;
  private lastAdmitted: SweepPosition | null;
  private nextTicket: Ticket = 0;
  private unfinished = 0;

  /** `finishedAhead`: what an earlier run of this sweep finished beyond `start` (its checkpoint's). */
  constructor(start: SweepPosition | null, finishedAhead: readonly SweepPosition[] = []) {
    this.lastAdmitted = start;
    this.carried = new Map(finishedAhead.map((p) => [key(p), p]));
  }

  admit(position: SweepPosition): Ticket {
    const ticket = this.nextTicket++;
    this.window.set(ticket, { previous: this.lastAdmitted, position, finished: false });
    this.lastAdmitted = position;
    this.unfinished += 1;
    return ticket;
  }

  complete(ticket: Ticket): void {
    const entry = this.window.get(ticket);
    if (!entry || entry.finished) return;
    entry.finished = true;
    this.unfinished -= 1;
    // Drop the finished head: everything up to the first unfinished container is below the watermark.
    for (const [t, e] of this.window) {
      if (!e.finished) break;
      this.window.delete(t);
    }
  }

  /**
   * True when an earlier run already finished this container beyond its watermark: it is then
   * taken as admitted and finished at once (the watermark moves past it), and must not be
   * probed or counted again.
   */
  alreadyFinished(position: SweepPosition): boolean {
    if (this.carried.size === 0) return false;
    if (!this.carried.delete(key(position))) return false;
    this.complete(this.admit(position));
    return true;
  }

  /** The last position such that every container up to it has finished (null: none yet). */
  position(): SweepPosition | null {
    const first = this.window.values().next();
    return first.done ? this.lastAdmitted : first.value.previous;
  }

  /** Containers finished beyond position(), in enumeration order where known: saved with it. */
  finishedAhead(): SweepPosition[] {
    const ahead: SweepPosition[] = [];
    for (const e of this.window.values()) if (e.finished) ahead.push(e.position);
    return [...ahead, ...this.carried.values()];
  }

  /** The last container handed out by enumeration (where a restarted enumeration continues). */
  admitted(): SweepPosition | null {
    return this.lastAdmitted;
  }

  /** Admitted containers not finished yet. */
  get pending(): number {
    return this.unfinished;
  }
}
