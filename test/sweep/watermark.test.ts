import { describe, expect, it } from 'vitest';
import { Watermark } from '../../src/sweep/watermark.js';

const pos = (container: string) => ({ account: 'a', container });

describe('Watermark', () => {
  it('stays just before the lowest unfinished container when later ones finish first', () => {
    const w = new Watermark(null);
    const t1 = w.admit(pos('c1'));
    const t2 = w.admit(pos('c2'));
    const t3 = w.admit(pos('c3'));
    w.complete(t3);
    w.complete(t2);
    expect(w.position()).toBeNull();
    w.complete(t1);
    expect(w.position()).toEqual(pos('c3'));
  });

  it('starts from the resumed position and moves as the head finishes', () => {
    const w = new Watermark(pos('c0'));
    expect(w.position()).toEqual(pos('c0'));
    const t1 = w.admit(pos('c1'));
    const t2 = w.admit(pos('c2'));
    w.complete(t1);
    expect(w.position()).toEqual(pos('c1'));
    expect(w.admitted()).toEqual(pos('c2'));
    expect(w.pending).toBe(1);
    w.complete(t2);
    expect(w.position()).toEqual(pos('c2'));
  });

  it('remembers the containers finished beyond the watermark, for the checkpoint', () => {
    const w = new Watermark(null);
    const t1 = w.admit(pos('c1'));
    const t2 = w.admit(pos('c2'));
    const t3 = w.admit(pos('c3'));
    w.admit(pos('c4'));
    w.complete(t3);
    w.complete(t2);
    expect(w.position()).toBeNull();
    expect(w.finishedAhead()).toEqual([pos('c2'), pos('c3')]);
    w.complete(t1);
    expect(w.position()).toEqual(pos('c3'));
    expect(w.finishedAhead()).toEqual([]);
    expect(w.pending).toBe(1);
  });

  it('restarted from a checkpoint, takes what was finished ahead as done once met again, and keeps the rest for the next checkpoint', () => {
    const w = new Watermark(pos('c0'), [pos('c2'), pos('c5')]);
    const t1 = w.admit(pos('c1'));
    expect(w.alreadyFinished(pos('c1'))).toBe(false);
    expect(w.alreadyFinished(pos('c2'))).toBe(true);
    expect(w.pending).toBe(1);
    // Not met yet: still finished ahead, so a crash now must not redo it either.
    expect(w.finishedAhead()).toEqual([pos('c2'), pos('c5')]);
    w.complete(t1);
    expect(w.position()).toEqual(pos('c2'));
    expect(w.finishedAhead()).toEqual([pos('c5')]);
    // Skipped once only.
    expect(w.alreadyFinished(pos('c2'))).toBe(false);
  });
});
