import { describe, expect, it } from 'vitest';
import { LatestQueue } from '../../../../src/actions/audio/latest-queue.js';

/** A queue whose runs end only when the test says so, recording what ran. */
function gatedQueue(): { queue: LatestQueue<string, number>; ran: number[]; finish: () => void } {
  const gates: (() => void)[] = [];
  const ran: number[] = [];
  const queue = new LatestQueue<string, number>(
    (item) =>
      new Promise<void>((resolve) => {
        ran.push(item);
        gates.push(resolve);
      }),
    () => Object.assign(new Error('superseded'), { code: 'superseded' }),
  );
  return { queue, ran, finish: () => gates.shift()?.() };
}

const settled = (p: Promise<void>): Promise<string> => p.then(() => 'done', (err: { code?: string }) => err.code ?? 'failed');
const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('one request at a time, only the latest waiting per key', () => {
  it('of a burst for one key runs only the last; the others settle as superseded', async () => {
    const { queue, ran, finish } = gatedQueue();
    const outcomes = [1, 2, 3].map((n) => settled(queue.put('sink', n)));
    await turn();
    expect(ran).toEqual([3]);
    finish();
    expect(await Promise.all(outcomes)).toEqual(['superseded', 'superseded', 'done']);
  });

  it('keeps one waiting per key while one runs, however many arrive, and runs them in turn', async () => {
    const { queue, ran, finish } = gatedQueue();
    const first = settled(queue.put('sink', 0));
    await turn();
    const later = Array.from({ length: 1000 }, (_, i) => settled(queue.put(i % 2 ? 'source' : 'sink', i + 1)));
    expect(queue.size).toBe(2);
    finish();
    await turn();
    finish();
    await turn();
    finish();
    expect(await first).toBe('done');
    const outcomes = await Promise.all(later);
    expect(ran).toEqual([0, 999, 1000]);
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'superseded')).toHaveLength(998);
  });

  it('drops what waits with the given error; the run in progress goes on', async () => {
    const { queue, ran, finish } = gatedQueue();
    const running = settled(queue.put('sink', 1));
    await turn();
    const waiting = settled(queue.put('sink', 2));
    queue.drop(Object.assign(new Error('gone'), { code: 'cancelled' }));
    finish();
    expect([await running, await waiting]).toEqual(['done', 'cancelled']);
    await queue.idle();
    expect(ran).toEqual([1]);
  });

  it('settles a failed run as failed and goes on with the next', async () => {
    const queue = new LatestQueue<string, number>(
      async (n) => {
        if (n === 1) throw Object.assign(new Error('no'), { code: 'tool-failed' });
      },
      () => new Error('superseded'),
    );
    const one = settled(queue.put('sink', 1));
    const two = settled(queue.put('source', 2));
    expect([await one, await two]).toEqual(['tool-failed', 'done']);
  });
});
