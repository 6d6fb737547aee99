import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSaveDirSetting, parseSaveDirSetting, saveDir } from '../../../../src/actions/file-xfer/save-dir.js';
import { readUserDirs, userDir } from '../../../../src/actions/file-xfer/user-dirs.js';

describe('user-dirs.dirs lines', () => {
  const home = '/home/u';

  it('reads "$HOME/…" and absolute folders, with escapes, the last line winning', () => {
    const text = '# comment\nXDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_DOWNLOAD_DIR="$HOME/Old"\nXDG_DOWNLOAD_DIR="$HOME/My \\"Files\\""\n';
    expect(userDir(text, 'DOWNLOAD', home)).toBe('/home/u/My "Files"');
    expect(userDir('XDG_DOWNLOAD_DIR="/srv/drop"\n', 'DOWNLOAD', home)).toBe('/srv/drop');
  });

  it('takes spaces around "=", a trailing comment, CRLF and trailing slashes', () => {
    expect(userDir('  XDG_DOWNLOAD_DIR = "$HOME/Téléchargements/"  # set by hand\r\n', 'DOWNLOAD', home)).toBe('/home/u/Téléchargements');
    expect(userDir('XDG_DESKTOP_DIR="$HOME/Bureau"\t\n', 'DESKTOP', home)).toBe('/home/u/Bureau');
  });

  it('expands nothing but the leading $HOME: other variables, backquotes and $(…) stay literal text', () => {
    expect(userDir('XDG_DOWNLOAD_DIR="$HOME/$(touch x)`id`$USER"\n', 'DOWNLOAD', home)).toBe('/home/u/$(touch x)`id`$USER');
    expect(userDir('XDG_DOWNLOAD_DIR="$USER/x"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DOWNLOAD_DIR="${HOME}/x"\n', 'DOWNLOAD', home)).toBeUndefined();
  });

  it('counts "$HOME/" (switched off), relative paths, unquoted values, commented-out and absent lines as unset', () => {
    expect(userDir('XDG_DOWNLOAD_DIR="$HOME/"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DOWNLOAD_DIR="Downloads"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DOWNLOAD_DIR=$HOME/Downloads\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('# XDG_DOWNLOAD_DIR="$HOME/Downloads"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DOWNLOAD_DIR="$HOME/a" "$HOME/b"\n', 'DOWNLOAD', home)).toBeUndefined();
    expect(userDir('XDG_DESKTOP_DIR="$HOME/Desktop"\n', 'DOWNLOAD', home)).toBeUndefined();
  });
});

describe('the dir setting', () => {
  it('takes xdg-download (also when absent), xdg-desktop and absolute paths as written', () => {
    expect(parseSaveDirSetting(undefined)).toEqual({ kind: 'xdg', name: 'DOWNLOAD' });
    expect(parseSaveDirSetting('xdg-download')).toEqual({ kind: 'xdg', name: 'DOWNLOAD' });
    expect(parseSaveDirSetting('xdg-desktop')).toEqual({ kind: 'xdg', name: 'DESKTOP' });
    expect(parseSaveDirSetting('/srv/guest drop/')).toEqual({ kind: 'path', path: '/srv/guest drop/' });
    for (const value of ['xdg-download', 'xdg-desktop', '/tmp']) expect(checkSaveDirSetting(value)).toBeUndefined();
  });

  it('refuses relative paths, ~, other words, an empty value, NUL and over-long paths with a RangeError', () => {
    for (const value of ['Downloads', './in', '~/Downloads', '$HOME/in', 'xdg-documents', 'XDG-DOWNLOAD', '', '/a\0b', `/${'x'.repeat(4095)}`]) {
      expect(() => parseSaveDirSetting(value)).toThrow(RangeError);
      expect(checkSaveDirSetting(value)).toEqual(expect.any(String));
    }
  });
});

describe('the folder files go to', () => {
  let home: string;
  const env = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, ...more });
  const userDirs = (text: string): void => {
    mkdirSync(join(home, '.config'), { recursive: true });
    writeFileSync(join(home, '.config', 'user-dirs.dirs'), text);
  };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'save-dir-'));
  });

  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('is the folder user-dirs.dirs names, whether it exists or not', async () => {
    userDirs('XDG_DESKTOP_DIR="$HOME/Schreibtisch"\nXDG_DOWNLOAD_DIR="$HOME/Herunterladen"\n');
    mkdirSync(join(home, 'Downloads'));
    expect(await saveDir(parseSaveDirSetting('xdg-download'), env())).toBe(join(home, 'Herunterladen'));
    expect(await saveDir(parseSaveDirSetting('xdg-desktop'), env())).toBe(join(home, 'Schreibtisch'));
  });

  it('without user-dirs.dirs is ~/Downloads (~/Desktop) when that folder exists, else the home folder', async () => {
    expect(await saveDir(parseSaveDirSetting('xdg-download'), env())).toBe(home);
    expect(await saveDir(parseSaveDirSetting('xdg-desktop'), env())).toBe(home);
    mkdirSync(join(home, 'Downloads'));
    mkdirSync(join(home, 'real-desktop'));
    symlinkSync(join(home, 'real-desktop'), join(home, 'Desktop'));
    expect(await saveDir(parseSaveDirSetting('xdg-download'), env())).toBe(join(home, 'Downloads'));
    expect(await saveDir(parseSaveDirSetting('xdg-desktop'), env())).toBe(join(home, 'Desktop'));
  });

  it('does not take a ~/Downloads that is a file', async () => {
    writeFileSync(join(home, 'Downloads'), '');
    expect(await saveDir(parseSaveDirSetting('xdg-download'), env())).toBe(home);
  });

  it('for downloads falls back to the desktop folder user-dirs.dirs names, after ~/Downloads', async () => {
    userDirs('XDG_DESKTOP_DIR="$HOME/Desk"\nXDG_DOWNLOAD_DIR="$HOME/"\n');
    expect(await saveDir(parseSaveDirSetting(undefined), env())).toBe(join(home, 'Desk'));
    mkdirSync(join(home, 'Downloads'));
    expect(await saveDir(parseSaveDirSetting(undefined), env())).toBe(join(home, 'Downloads'));
  });

  it('reads user-dirs.dirs from an absolute XDG_CONFIG_HOME, and from ~/.config when it is relative', async () => {
    const config = join(home, 'elsewhere');
    mkdirSync(config);
    writeFileSync(join(config, 'user-dirs.dirs'), 'XDG_DOWNLOAD_DIR="/srv/drop"\n');
    userDirs('XDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
    expect(await saveDir(parseSaveDirSetting(undefined), env({ XDG_CONFIG_HOME: config }))).toBe('/srv/drop');
    expect(await saveDir(parseSaveDirSetting(undefined), env({ XDG_CONFIG_HOME: 'elsewhere' }))).toBe(join(home, 'Incoming'));
  });

  it('is an absolute path as written, without reading user-dirs.dirs', async () => {
    userDirs('XDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
    expect(await saveDir(parseSaveDirSetting('/srv/not there yet'), env())).toBe('/srv/not there yet');
  });

  it('treats a user-dirs.dirs that is missing, a folder, a FIFO or unreadable as empty, without waiting', async () => {
    expect(await readUserDirs(env(), home)).toBe('');
    mkdirSync(join(home, '.config', 'user-dirs.dirs'), { recursive: true });
    expect(await readUserDirs(env(), home)).toBe('');
    rmSync(join(home, '.config', 'user-dirs.dirs'), { recursive: true });
    execFileSync('mkfifo', [join(home, '.config', 'user-dirs.dirs')]);
    expect(await readUserDirs(env(), home)).toBe('');
    expect(await saveDir(parseSaveDirSetting(undefined), env())).toBe(home);
    rmSync(join(home, '.config', 'user-dirs.dirs'));
    userDirs('XDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
    chmodSync(join(home, '.config', 'user-dirs.dirs'), 0o000);
    if (process.getuid?.() !== 0) expect(await readUserDirs(env(), home)).toBe('');
  });
});
