import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchExistence, type ExistenceWatch } from '../../../src/platform/watch-existence.js';

describe('following whether a path exists (inotify, no polling)', () => {
  let dir: string;
  let watching: ExistenceWatch | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'exists-'));
  });
  afterEach(() => {
    watching?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Follows `dir/pulse/native`, recording every change reported. */
  const follow = (): boolean[] => {
    const seen: boolean[] = [];
    watching = watchExistence(join(dir, 'pulse', 'native'), (exists) => seen.push(exists));
    return seen;
  };

  it('sees the path appear with its folder, go, and come back in a folder made anew', async () => {
    const seen = follow();
    expect(watching?.exists).toBe(false);
    mkdirSync(join(dir, 'pulse'));
    writeFileSync(join(dir, 'pulse', 'native'), '');
    await expect.poll(() => seen).toEqual([true]);
    rmSync(join(dir, 'pulse', 'native'));
    await expect.poll(() => seen).toEqual([true, false]);
    rmSync(join(dir, 'pulse'), { recursive: true });
    mkdirSync(join(dir, 'pulse'));
    writeFileSync(join(dir, 'pulse', 'native'), '');
    await expect.poll(() => seen).toEqual([true, false, true]);
    expect(watching?.exists).toBe(true);
  });

  it('starts from what is there and reports nothing until it changes', async () => {
    mkdirSync(join(dir, 'pulse'));
    writeFileSync(join(dir, 'pulse', 'native'), '');
    const seen = follow();
    expect(watching?.exists).toBe(true);
    writeFileSync(join(dir, 'pulse', 'pid'), '1');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    rmSync(join(dir, 'pulse', 'native'));
    await expect.poll(() => seen).toEqual([false]);
  });

  it('reports nothing once closed', async () => {
    const seen = follow();
    watching?.close();
    mkdirSync(join(dir, 'pulse'));
    writeFileSync(join(dir, 'pulse', 'native'), '');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
  });
});
