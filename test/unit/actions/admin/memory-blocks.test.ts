import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryBlockInfo, memoryBlocks } from '../../../../src/actions/admin/memory-blocks.js';
import { QgaError, QgaErrorCode } from '../../../../src/qga/index.js';

describe('memory blocks from a sysfs memory directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'memblk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const block = (name: string, files: Record<string, string>): void => {
    mkdirSync(join(dir, name));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, name, f), text);
  };

  it('lists memoryN directories: state online or not, removable decides can-offline, no state is online and fixed', () => {
    block('memory0', { state: 'online\n', removable: '0\n' });
    block('memory7', { state: 'offline\n', removable: '1\n' });
    block('memory9', { state: 'online\n' });
    block('memory12', {});
    writeFileSync(join(dir, 'memory_not_a_dir'), '');
    writeFileSync(join(dir, 'block_size_bytes'), '8000000\n');
    const list = memoryBlocks(dir).map((b) => Object.fromEntries(b)).sort((a, b) => (a['phys-index'] as number) - (b['phys-index'] as number));
    expect(list).toEqual([
      { 'phys-index': 0, online: true, 'can-offline': false },
      { 'phys-index': 7, online: false, 'can-offline': true },
      { 'phys-index': 9, online: true, 'can-offline': false },
      { 'phys-index': 12, online: true, 'can-offline': false },
    ]);
    expect(memoryBlockInfo(dir)).toEqual(new Map([['size', 134217728]]));
  });

  it('answers an empty list without the directory, and qemu-ga\'s error for a directory without blocks', () => {
    expect(memoryBlocks(join(dir, 'missing'))).toEqual([]);
    expect(() => memoryBlocks(dir)).toThrow(new QgaError(QgaErrorCode.CommandFailed, 'guest reported zero memory blocks!'));
    expect(() => memoryBlockInfo(join(dir, 'missing'))).toThrow(new QgaError(QgaErrorCode.CommandFailed, `open("${join(dir, 'missing')}/"): No such file or directory`));
  });
});
