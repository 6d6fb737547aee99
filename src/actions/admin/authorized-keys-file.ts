// Runs in the child that has the user's uid and gid (authorized-keys-child.ts): only Node's own
// modules, and nothing here is done as root.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, mkdirSync, chmodSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { addedLines, fileContent, fileLines, type KeysAnswer, type KeysFailure, type KeysRequest, listedKeys, removedLines } from './authorized-keys.js';

/** The largest authorized_keys file read (some thousands of keys). */
export const MAX_AUTHORIZED_KEYS_BYTES = 4 * 1024 * 1024;

/** A failed step, carried up to the answer. */
class StepFailed extends Error {
  constructor(readonly failure: KeysFailure) {
    super(`${failure.step} ${failure.path}: ${failure.code}`);
  }
}

function fail(step: KeysFailure['step'], path: string, err: unknown): never {
  throw new StepFailed({ step, path, code: (err as NodeJS.ErrnoException).code ?? 'EIO' });
}

const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/**
 * The file's lines; undefined when it (or its directory) does not exist and `absent` allows that.
 * Never blocks on a FIFO, never reads past the bound.
 */
function readLines(path: string, absent: 'missing-is-none' | 'missing-fails'): string[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if (absent === 'missing-is-none' && (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR')) return undefined;
    fail('open', path, err);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) fail('read', path, { code: 'EISDIR' });
    if (!st.isFile()) fail('read', path, { code: 'EINVAL' });
    const buf = Buffer.alloc(Math.min(st.size, MAX_AUTHORIZED_KEYS_BYTES) + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_AUTHORIZED_KEYS_BYTES) fail('read', path, { code: 'EFBIG' });
    return fileLines(buf.toString('utf8', 0, n));
  } catch (err) {
    if (err instanceof StepFailed) throw err;
    fail('read', path, err);
  } finally {
    closeSync(fd);
  }
}

/** Makes `~/.ssh` (0700) unless it is a directory already. */
function ensureSshDir(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch {
    // Missing: made below.
  }
  try {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (err) {
    fail('mkdir', dir, err);
  }
}

/** Replaces the file atomically: a new 0600 file in the same directory, synced, renamed over it (a symbolic link there is replaced, never followed). */
function writeLines(dir: string, path: string, lines: readonly string[]): void {
  const data = Buffer.from(fileContent(lines));
  // Never a file this agent would refuse to read back: get, add and remove would all fail on it.
  if (data.length > MAX_AUTHORIZED_KEYS_BYTES) fail('write', path, { code: 'EFBIG' });
  const temp = join(dir, `authorized_keys.${randomBytes(6).toString('base64url')}`);
  let fd: number;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    fail('create', temp, err);
  }
  try {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at);
    fchmodSync(fd, 0o600);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    discard(temp);
    fail('write', temp, err);
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (err) {
    discard(temp);
    fail('rename', path, err);
  }
  syncDir(dir);
}

/** Removes a temporary file that will not be renamed; one already gone is fine. */
function discard(temp: string): void {
  try {
    unlinkSync(temp);
  } catch {
    // Nothing to remove.
  }
}

/** Makes the rename durable; a directory that cannot be synced is not an error (the rename happened). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort.
  }
}

/** Whether a path exists, following links (GLib's g_file_test G_FILE_TEST_EXISTS). */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Does what the request asks with `home/.ssh/authorized_keys`, as qemu-ga's guest-ssh-* commands do. */
export function editAuthorizedKeys(request: KeysRequest): KeysAnswer {
  const dir = join(request.home, '.ssh');
  const path = join(dir, 'authorized_keys');
  try {
    if (request.op === 'get') {
      return { ok: true, keys: listedKeys(readLines(path, 'missing-fails') ?? []).join('\n') };
    }
    if (request.op === 'remove') {
      if (!exists(path)) return { ok: true, keys: '' };
      writeLines(dir, path, removedLines(readLines(path, 'missing-fails') ?? [], request.keys));
      return { ok: true, keys: '' };
    }
    const lines = request.reset ? undefined : readLines(path, 'missing-is-none');
    if (!lines) ensureSshDir(dir);
    writeLines(dir, path, addedLines(lines ?? [], request.keys));
    return { ok: true, keys: '' };
  } catch (err) {
    if (err instanceof StepFailed) return { ok: false, failure: err.failure };
    throw err;
  }
}
