// The resume watermark of a sweep. Containers are admitted in enumeration order but finish
// out of order (concurrency), so the safe resume point is the container just BEFORE the
// lowest one not yet finished: a restart from there never skips an unprobed container and
// re-probes at most the few that had finished beyond it.
import type { SweepPosition } from '../discover/enumerate.js';

export type Ticket = number;

interface Admitted {
  /** Position of the container admitted just before this one (null: the start). */
  readonly previous: SweepPosition | null;
}

export class Watermark {
  /** Unfinished admitted containers, in admission order (Map keeps insertion order). */
  private readonly unfinished = new Map<Ticket, Admitted>();
  private lastAdmitted: SweepPosition | null;
  private nextTicket: Ticket = 0;

  constructor(start: SweepPosition | null) {
    this.lastAdmitted = start;
  }

  admit(position: SweepPosition): Ticket {
    const ticket = this.nextTicket++;
    this.unfinished.set(ticket, { previous: this.lastAdmitted });
    this.lastAdmitted = position;
    return ticket;
  }

  complete(ticket: Ticket): void {
    this.unfinished.delete(ticket);
  }

  /** The last position such that every container up to it has finished (null: none yet). */
  position(): SweepPosition | null {
    const first = this.unfinished.values().next();
    return first.done ? this.lastAdmitted : first.value.previous;
  }

  /** The last container handed out by enumeration (where a restarted enumeration continues). */
  admitted(): SweepPosition | null {
    return this.lastAdmitted;
  }

  get pending(): number {
    return this.unfinished.size;
  }
}
