import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readableByAll } from '../../../src/platform/process/readable-by-all.js';

describe('whether every user can read a program', () => {
  const root = mkdtempSync(join(tmpdir(), 'vdagent-readable-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const file = (dir: string, mode: number, dirMode = 0o755): string => {
    mkdirSync(join(root, dir), { recursive: true });
    chmodSync(join(root, dir), dirMode);
    const path = join(root, dir, 'cli.js');
    writeFileSync(path, '');
    chmodSync(path, mode);
    return path;
  };

  it('is so for a 0644 file in 0755 directories, as the package installs it', () => {
    expect(readableByAll(file('open', 0o644))).toBe(true);
  });

  it('is not for a file others may not read, nor in a directory others may not search', () => {
    expect(readableByAll(file('private-file', 0o640))).toBe(false);
    expect(readableByAll(file('private-dir', 0o644, 0o700))).toBe(false);
  });

  it('judges the file a link leads to, and a missing file is not readable', () => {
    const hidden = file('hidden', 0o644, 0o711);
    symlinkSync(hidden, join(root, 'link.js'));
    expect(readableByAll(join(root, 'link.js'))).toBe(true);
    expect(readableByAll(join(root, 'missing.js'))).toBe(false);
  });
});
