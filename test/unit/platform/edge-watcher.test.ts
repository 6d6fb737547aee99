import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeWatcher } from '../../../src/platform/edge-watcher.js';
import { loadLibc } from '../../../src/platform/load-libc.js';

/** Whether `p` settles within a few turns of the event loop. */
async function settles(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe('EdgeWatcher', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0).reverse()) c();
  });

  it('wakes once per wake-up of the descriptor, not again while it stays readable', async () => {
    const libc = await loadLibc();
    const [r, w] = libc.pipe();
    cleanup.push(() => fs.closeSync(r), () => fs.closeSync(w));
    const edges = new EdgeWatcher(r, libc);
    cleanup.push(() => edges.close());
    fs.writeSync(w, 'a');
    expect(await settles(edges.next())).toBe(true);
    const next = edges.next(); // the byte is still unread: readable all along, yet no new edge
    expect(await settles(next)).toBe(false);
    fs.writeSync(w, 'b');
    expect(await settles(next)).toBe(true);
  });

  it('resolves waits in progress when closed', async () => {
    const libc = await loadLibc();
    const [r, w] = libc.pipe();
    cleanup.push(() => fs.closeSync(r), () => fs.closeSync(w));
    const edges = new EdgeWatcher(r, libc);
    const next = edges.next(); // an empty pipe: nothing to wake it
    expect(await settles(next)).toBe(false);
    edges.close();
    expect(await settles(next)).toBe(true);
  });
});
