import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_BATCH_BYTES, MAX_BATCH_WRITES, WriteBatch, writeAllAt } from '../../../../src/actions/file-xfer/write-batch.js';

describe('a batch of DATA written with one pwritev', () => {
  let dir: string;
  let file: FileHandle;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'write-batch-'));
    file = await open(join(dir, 'f'), 'w+');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes its parts one after the other from its position, in one writev', async () => {
    const writev = vi.spyOn(Object.getPrototypeOf(file) as FileHandle, 'writev');
    const batch = new WriteBatch(3);
    for (const part of ['ab', '', 'cde', 'f']) expect(batch.add(Buffer.from(part))).toBe(true);
    expect([batch.writes, batch.bytes]).toEqual([4, 6]);
    await file.write('---');
    await batch.write(file);
    expect(writev).toHaveBeenCalledTimes(1);
    expect(readFileSync(join(dir, 'f'), 'latin1')).toBe('---abcdef');
  });

  it(`takes at most ${MAX_BATCH_WRITES} messages and ${MAX_BATCH_BYTES} bytes, but always a first message of any size`, () => {
    const byCount = new WriteBatch(0);
    for (let i = 0; i < MAX_BATCH_WRITES; i++) expect(byCount.add(Buffer.alloc(1))).toBe(true);
    expect(byCount.add(Buffer.alloc(1))).toBe(false);
    const byBytes = new WriteBatch(0);
    expect(byBytes.add(Buffer.alloc(MAX_BATCH_BYTES - 1))).toBe(true);
    expect(byBytes.add(Buffer.alloc(1))).toBe(true);
    expect(byBytes.add(Buffer.alloc(1))).toBe(false);
    const huge = new WriteBatch(0);
    expect(huge.add(Buffer.alloc(MAX_BATCH_BYTES + 1))).toBe(true);
    expect(huge.add(Buffer.alloc(1))).toBe(false);
  });

  it('takes nothing more once its write started', async () => {
    const batch = new WriteBatch(0);
    batch.add(Buffer.from('a'));
    const written = batch.write(file);
    expect(batch.add(Buffer.from('b'))).toBe(false);
    await written;
    expect(readFileSync(join(dir, 'f'), 'latin1')).toBe('a');
  });

  it('writes the rest again after a short write, from where it stopped', async () => {
    const real = file.writev.bind(file);
    // The kernel may take less than asked (a signal, a filesystem near its limits): here 5 bytes at first.
    const writev = vi.spyOn(file, 'writev').mockImplementationOnce(async (parts, at) => {
      const first5 = Buffer.concat(parts as Uint8Array[]).subarray(0, 5);
      return real([first5], at as number);
    });
    await writeAllAt(file, [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('hi')], 0);
    expect(writev).toHaveBeenCalledTimes(2);
    expect(writev.mock.calls[1]?.[1]).toBe(5);
    expect(readFileSync(join(dir, 'f'), 'latin1')).toBe('abcdefghi');
  });
});
