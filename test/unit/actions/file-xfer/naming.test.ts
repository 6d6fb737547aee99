import { describe, expect, it } from 'vitest';
import { candidateNames, MAX_NAME_ATTEMPTS, safeName } from '../../../../src/actions/file-xfer/naming.js';

describe('file names from the client', () => {
  it('keeps a plain base name as it is, spaces, dots and unicode included', () => {
    for (const name of ['a.txt', 'my report (final).pdf', '.hidden', '..x', 'ünïcødé ✓.png', 'back\\slash']) expect(safeName(name)).toBe(name);
  });

  it('refuses empty names, "." and "..", any "/" and NUL', () => {
    for (const name of ['', '.', '..', '../etc/passwd', '/etc/passwd', 'dir/file', 'a\0b']) expect(safeName(name)).toBeUndefined();
  });

  it('refuses the names of its own temporary files, which a starting helper removes', () => {
    expect(safeName('.vdagent-xfer-0123456789abcdef.part')).toBeUndefined();
    expect(safeName('.vdagent-xfer-notes.part')).toBe('.vdagent-xfer-notes.part');
  });
});

describe('names tried when a file exists', () => {
  it('puts the number before the last extension, up to 63', () => {
    const names = candidateNames('report.tar.gz');
    expect(names.slice(0, 3)).toEqual(['report.tar.gz', 'report.tar (1).gz', 'report.tar (2).gz']);
    expect(names).toHaveLength(1 + MAX_NAME_ATTEMPTS);
    expect(names.at(-1)).toBe('report.tar (63).gz');
  });

  it('appends the number when there is no extension, or the only dot starts the name', () => {
    expect(candidateNames('Makefile')[1]).toBe('Makefile (1)');
    expect(candidateNames('.bashrc')[1]).toBe('.bashrc (1)');
  });
});
