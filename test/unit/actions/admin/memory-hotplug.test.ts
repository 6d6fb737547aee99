import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setMemoryBlocks } from '../../../../src/actions/admin/memory-hotplug.js';
import { checkArgs, findCommand, jsonObject } from '../../../../src/qga/index.js';

/** guest-set-memory-blocks' checked arguments for a list of [phys-index, online]. */
const request = (...blocks: [number | bigint, boolean][]) =>
  checkArgs(findCommand('guest-set-memory-blocks')?.args ?? [], jsonObject({ 'mem-blks': blocks.map(([i, online]) => jsonObject({ 'phys-index': i, online })) }));

const answer = (blocks: Map<string, unknown>[]) => blocks.map((b) => Object.fromEntries(b));

describe('guest-set-memory-blocks on a sysfs memory directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'memset-'));
    const block = (name: string, state?: string): void => {
      mkdirSync(join(dir, name));
      if (state !== undefined) writeFileSync(join(dir, name, 'state'), state);
    };
    block('memory0', 'online\n');
    block('memory1', 'offline\n');
    block('memory2');
    block('memory3', '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const state = (block: string): string => readFileSync(join(dir, block, 'state'), 'latin1');

  it('writes online or offline where the state differs, and answers success for each', () => {
    expect(answer(setMemoryBlocks(request([0, false], [1, true], [1, true]), dir))).toEqual([
      { 'phys-index': 0, response: 'success' },
      { 'phys-index': 1, response: 'success' },
      { 'phys-index': 1, response: 'success' },
    ]);
    // Written from offset 0 without truncating, as to a sysfs attribute (a plain file keeps its tail).
    expect([state('memory0'), state('memory1')]).toEqual(['offline', 'onlinee\n']);
  });

  it('answers per block as qemu-ga does, with the errno where qemu-ga gives one', () => {
    expect(answer(setMemoryBlocks(request([9, true], [-1, false], [2, true], [2, false], [3, true]), dir))).toEqual([
      { 'phys-index': 9, response: 'not-found', 'error-code': 2 },
      { 'phys-index': 2n ** 64n - 1n, response: 'not-found', 'error-code': 2 },
      // No state file: staying online is success, yet qemu-ga still reports ENOENT.
      { 'phys-index': 2, response: 'success', 'error-code': 2 },
      { 'phys-index': 2, response: 'operation-not-supported', 'error-code': 2 },
      // An empty state file fails with errno 0.
      { 'phys-index': 3, response: 'operation-failed', 'error-code': 0 },
    ]);
  });

  it('answers operation-not-supported when there is no memory directory at all', () => {
    expect(answer(setMemoryBlocks(request([0, true]), join(dir, 'none')))).toEqual([{ 'phys-index': 0, response: 'operation-not-supported', 'error-code': 2 }]);
  });

  it('answers operation-failed with the errno when the state cannot be written', () => {
    rmSync(join(dir, 'memory1', 'state'));
    mkdirSync(join(dir, 'memory1', 'state'));
    expect(answer(setMemoryBlocks(request([1, true]), dir))).toEqual([{ 'phys-index': 1, response: 'operation-failed', 'error-code': 21 }]);
  });

  it('answers an empty list for an empty list', () => {
    expect(setMemoryBlocks(request(), dir)).toEqual([]);
  });
});
