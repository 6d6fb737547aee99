import { describe, expect, it } from 'vitest';
import { userDir } from '../../../../src/actions/file-xfer/download-dir.js';
import { candidateNames, MAX_NAME_ATTEMPTS, safeName } from '../../../../src/actions/file-xfer/naming.js';

describe('file names from the client', () => {
  it('keeps a plain base name as it is, spaces, dots and unicode included', () => {
    for (const name of ['a.txt', 'my report (final).pdf', '.hidden', '..x', 'ünïcødé ✓.png', 'back\\slash']) expect(safeName(name)).toBe(name);
  });

  it('refuses empty names, "." and "..", any "/" and NUL', () => {
    for (const name of ['', '.', '..', '../etc/passwd', '/etc/passwd', 'dir/file', 'a\0b']) expect(safeName(name)).toBeUndefined();
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

describe('user-dirs.dirs', () => {
  const home = '/home/u';

  it('reads "$HOME/…" and absolute folders, with escapes, the last line winning', () => {
    const text = '# comment\nXDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_DOWNLOAD_DIR="$HOME/Old"\nXDG_DOWNLOAD_DIR="$HOME/My \\"Files\\""\n';
    expect(userDir(text, 'DOWNLOAD', home)).toBe('/home/u/My "Files"');
    expect(userDir('XDG_DOWNLOAD_DIR="/srv/drop"\n', 'DOWNLOAD', home)).toBe('/srv/drop');
  });

  it('counts "$HOME/" (switched off), relative paths and absent lines as unset', () => {
    expect(userDir('XDG_DOWNLOAD_DIR="$HOME/"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DOWNLOAD_DIR="Downloads"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DESKTOP_DIR="$HOME/Desktop"\n', 'DOWNLOAD', home)).toBeUndefined();
  });
});
