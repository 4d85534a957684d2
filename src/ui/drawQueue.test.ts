import { describe, expect, it } from 'vitest';
import { DRAW_BUDGET_MS, drawKey, scheduleDraw, waitingDraws } from './drawQueue';

/** Resolves once the queue has run everything waiting (each of its tasks posts the next). */
async function drained(): Promise<void> {
  while (waitingDraws() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  await new Promise((resolve) => setTimeout(resolve, 1));
}

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* a draw that costs ms */ }
};

describe('drawQueue', () => {
  it('draws later, not in the caller\'s task, and a newer draw for a key replaces one still waiting', async () => {
    const key = {};
    const drawn: string[] = [];
    scheduleDraw(key, () => drawn.push('old'));
    scheduleDraw(key, () => drawn.push('new'));
    scheduleDraw({}, () => drawn.push('other'));
    expect(drawn).toEqual([]);
    await drained();
    // The replaced draw kept its place in line, ahead of the later key.
    expect(drawn).toEqual(['new', 'other']);
  });

  it('a cancelled draw never runs; cancelling after a replacement leaves the replacement', async () => {
    const key = {};
    const drawn: string[] = [];
    scheduleDraw(key, () => drawn.push('cancelled'))();
    const cancelOld = scheduleDraw(key, () => drawn.push('replaced'));
    scheduleDraw(key, () => drawn.push('kept'));
    cancelOld();
    await drained();
    expect(drawn).toEqual(['kept']);
  });

  it('yields between draws once a task has spent its budget', async () => {
    // Draws in one task share a microtask checkpoint: the tick a draw sees names its task.
    let tick = 0;
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      scheduleDraw({}, () => {
        seen.push(tick);
        queueMicrotask(() => tick++);
        busy(DRAW_BUDGET_MS + 1);
      });
    }
    // Cheap draws share a task.
    for (let i = 0; i < 3; i++) scheduleDraw({}, () => seen.push(tick));
    await drained();
    expect(seen.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(seen.slice(4)).toEqual([4, 4, 4]);
  });

  it('one draw that throws does not stop the others', async () => {
    const drawn: number[] = [];
    const thrown: unknown[] = [];
    const onError = (error: unknown) => thrown.push(error);
    process.on('uncaughtException', onError);
    try {
      scheduleDraw({}, () => { throw new Error('broken view'); });
      scheduleDraw({}, () => drawn.push(1));
      await drained();
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(drawn).toEqual([1]);
    expect(String(thrown[0])).toContain('broken view');
  });

  it('drawKey gives one object per owner and part', () => {
    const owner = {};
    expect(drawKey(owner, 1)).toBe(drawKey(owner, 1));
    expect(drawKey(owner, 1)).not.toBe(drawKey(owner, 2));
    expect(drawKey({}, 1)).not.toBe(drawKey(owner, 1));
  });
});
