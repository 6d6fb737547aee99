import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addedLines, fileContent, fileLines, listedKeys, removedLines } from '../../../../src/actions/admin/authorized-keys.js';
import { editAuthorizedKeys, MAX_AUTHORIZED_KEYS_BYTES } from '../../../../src/actions/admin/authorized-keys-file.js';
import { checkKeys, failureText, MAX_KEY_BYTES, MAX_KEYS } from '../../../../src/actions/admin/ssh-keys.js';
import { QgaErrorCode } from '../../../../src/qga/index.js';

const edit = (content: string, f: (lines: string[]) => string[]): string => fileContent(f(fileLines(content)));

describe('authorized_keys edits, line for line as qemu-ga makes them', () => {
  it('appends only keys not yet present, in order, without a final newline of its own', () => {
    expect(edit('algo key2 comments', (l) => addedLines(l, ['algo key1 comments', 'algo key2 comments']))).toBe('algo key2 comments\nalgo key1 comments');
    expect(addedLines([], ['k1', 'k1', 'k2'])).toEqual(['k1', 'k2']);
  });

  it('reads an empty file as no line at all, so a first key is not preceded by an empty line', () => {
    expect(fileLines('')).toEqual([]);
    expect(edit('', (l) => addedLines(l, ['k1', '']))).toBe('k1\n');
  });

  it('turns an empty key into the final newline (libvirt sends one last), once', () => {
    expect(fileContent(addedLines([], ['k1', '']))).toBe('k1\n');
    expect(edit('k1\n', (l) => addedLines(l, ['k2', '']))).toBe('k1\n\nk2');
  });

  it('removes every line equal to a key, comments and other lines kept', () => {
    const file = 'algo key1 comments\nalgo key1 comments\n# a commented line\nalgo some-key another\n';
    expect(edit(file, (l) => removedLines(l, ['algo key2 comments']))).toBe(file);
    expect(edit(file, (l) => removedLines(l, ['algo key1 comments', 'algo key2 comments']))).toBe('# a commented line\nalgo some-key another\n');
  });

  it('lists keys stripped of C whitespace, without blank lines or comments, last first', () => {
    expect(listedKeys(fileLines('algo key1 comments\n# a commented line\n\t algo some-key another \r\n  \n'))).toEqual(['algo some-key another', 'algo key1 comments']);
    // Not JavaScript's trim: a no-break space is part of the key.
    expect(listedKeys(['\u00a0k'])).toEqual(['\u00a0k']);
  });
});

describe('the keys a request may carry', () => {
  const code = (keys: string[]): QgaErrorCode | undefined => {
    try {
      checkKeys(keys);
      return undefined;
    } catch (err) {
      return (err as { code: QgaErrorCode }).code;
    }
  };

  it('refuses a comment or a key with a newline, with qemu-ga text', () => {
    expect(() => checkKeys(['ok', '#comment'])).toThrow("invalid OpenSSH public key: '#comment'");
    expect(code(['a\nb'])).toBe(QgaErrorCode.InvalidParameterValue);
  });

  it('accepts the empty key libvirt sends', () => {
    expect(code(['ssh-ed25519 AAAA x', ''])).toBeUndefined();
  });

  it('refuses a NUL, more than the most keys, and a key longer than the bound', () => {
    expect(code(['a\0b'])).toBe(QgaErrorCode.InvalidParameterValue);
    expect(code(Array.from({ length: MAX_KEYS }, (_, i) => `k${i}`))).toBeUndefined();
    expect(code(Array.from({ length: MAX_KEYS + 1 }, (_, i) => `k${i}`))).toBe(QgaErrorCode.InvalidParameterValue);
    expect(code(['x'.repeat(MAX_KEY_BYTES)])).toBeUndefined();
    expect(code(['é'.repeat(MAX_KEY_BYTES / 2 + 1)])).toBe(QgaErrorCode.InvalidParameterValue);
  });
});

describe('failures, in the words of qemu-ga (GLib)', () => {
  it('names the file and the system error', () => {
    expect(failureText({ step: 'open', path: '/h/.ssh/authorized_keys', code: 'ENOENT' })).toBe(
      "failed to read '/h/.ssh/authorized_keys': Failed to open file “/h/.ssh/authorized_keys”: No such file or directory",
    );
    expect(failureText({ step: 'mkdir', path: '/h/.ssh', code: 'EACCES' })).toBe("failed to create directory '/h/.ssh': Permission denied");
    expect(failureText({ step: 'create', path: '/h/.ssh/authorized_keys.abc', code: 'EACCES' })).toBe(
      "failed to write to '/h/.ssh/authorized_keys': Failed to create file “/h/.ssh/authorized_keys.abc”: Permission denied",
    );
  });
});

describe('the authorized_keys file (editor run in this process)', () => {
  let home: string;
  let file: string;
  beforeEach(() => {
    home = mkdtempSync(join(os.tmpdir(), 'authkeys-'));
    file = join(home, '.ssh', 'authorized_keys');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('is created with ~/.ssh (0700) and mode 0600 on the first add', () => {
    expect(editAuthorizedKeys({ op: 'add', home, keys: ['k1', ''], reset: false })).toEqual({ ok: true, keys: '' });
    expect(readFileSync(file, 'utf8')).toBe('k1\n');
    expect(statSync(join(home, '.ssh')).mode & 0o7777).toBe(0o700);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
  });

  it('is replaced by reset, and leaves no temporary file behind', () => {
    editAuthorizedKeys({ op: 'add', home, keys: ['k1', 'k2'], reset: false });
    editAuthorizedKeys({ op: 'add', home, keys: ['k3'], reset: true });
    expect(readFileSync(file, 'utf8')).toBe('k3');
    expect(readdirSync(join(home, '.ssh'))).toEqual(['authorized_keys']);
    editAuthorizedKeys({ op: 'add', home, keys: [], reset: true });
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('answers get with the keys, and a missing file with the open error', () => {
    expect(editAuthorizedKeys({ op: 'get', home, keys: [], reset: false })).toEqual({ ok: false, failure: { step: 'open', path: file, code: 'ENOENT' } });
    editAuthorizedKeys({ op: 'add', home, keys: ['k1', '# c', ' k2 '], reset: false });
    expect(editAuthorizedKeys({ op: 'get', home, keys: [], reset: false })).toEqual({ ok: true, keys: 'k2\nk1' });
  });

  it('removes from a missing file without error and without making one', () => {
    expect(editAuthorizedKeys({ op: 'remove', home, keys: ['k1'], reset: false })).toEqual({ ok: true, keys: '' });
    expect(() => lstatSync(join(home, '.ssh'))).toThrow();
  });

  it('replaces a link in ~/.ssh instead of writing through it', () => {
    mkdirSync(join(home, '.ssh'));
    const target = join(home, 'target');
    writeFileSync(target, 'kept\n');
    execFileSync('ln', ['-s', target, file]);
    editAuthorizedKeys({ op: 'add', home, keys: ['k1'], reset: false });
    expect(readFileSync(target, 'utf8')).toBe('kept\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('kept\n\nk1');
  });

  it('does not block on a FIFO planted as the file, and refuses a file past the bound', () => {
    mkdirSync(join(home, '.ssh'));
    execFileSync('mkfifo', [file]);
    expect(editAuthorizedKeys({ op: 'get', home, keys: [], reset: false })).toEqual({ ok: false, failure: { step: 'read', path: file, code: 'EINVAL' } });
    rmSync(file);
    writeFileSync(file, Buffer.alloc(MAX_AUTHORIZED_KEYS_BYTES + 1, 0x61));
    expect(editAuthorizedKeys({ op: 'add', home, keys: ['k'], reset: false })).toEqual({ ok: false, failure: { step: 'read', path: file, code: 'EFBIG' } });
  });

  it('fails where ~/.ssh cannot be made, naming it', () => {
    writeFileSync(join(home, '.ssh'), 'not a directory');
    expect(editAuthorizedKeys({ op: 'add', home, keys: ['k'], reset: false })).toEqual({ ok: false, failure: { step: 'mkdir', path: join(home, '.ssh'), code: 'EEXIST' } });
  });
});
