import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { loadLibc, type Libc } from '../../platform/load-libc.js';

/** open(2)'s O_TMPFILE as Linux defines it (__O_TMPFILE with O_DIRECTORY). */
const O_TMPFILE = 0o20000000 | constants.O_DIRECTORY;
const AT_FDCWD = -100;
const AT_SYMLINK_FOLLOW = 0x400;
/** What open(2) says when the folder's filesystem (or the kernel) has no O_TMPFILE. */
const NO_TMPFILE = new Set(['EOPNOTSUPP', 'EISDIR', 'EINVAL']);
/** The fallback's hidden names: one a killed helper left is removed by the next (see {@link removeLeftovers}). */
const HIDDEN = /^\.vdagent-xfer-[0-9a-f]{16}\.part$/;

/** A file being received: it has no visible name until it is complete. */
export interface PendingFile {
  /** The open file to write into. */
  readonly handle: FileHandle;
  /**
   * Syncs the data and links the file under the first of `names` free in its folder, exclusively,
   * if it is still `wanted()` once synced; the path it got, or undefined when every name is taken
   * or it is no longer wanted (then it has no name).
   */
  publish(names: readonly string[], wanted: () => boolean): Promise<string | undefined>;
  /** Closes the file: unless published, nothing of it remains. */
  close(): Promise<void>;
}

/**
 * Opens a file in `dir` that appears only when published: an unnamed O_TMPFILE (the kernel frees
 * it with the last descriptor, whatever kills the process), or where the filesystem has none a
 * hidden temporary name, removed on close and by the next helper's {@link removeLeftovers}.
 */
export async function openPendingFile(dir: string, mode: number): Promise<PendingFile> {
  try {
    return await openUnnamed(dir, mode);
  } catch (err) {
    if (!NO_TMPFILE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    return openHidden(dir, mode);
  }
}

/** The O_TMPFILE kind: linked with linkat(AT_SYMLINK_FOLLOW) through /proc/self/fd, which fails with EEXIST on a taken name. */
export async function openUnnamed(dir: string, mode: number): Promise<PendingFile> {
  const handle = await open(dir, O_TMPFILE | constants.O_WRONLY, mode);
  return {
    handle,
    publish: (names, wanted) => publishAs(handle, dir, names, wanted, (libc, path) => libc.linkat(AT_FDCWD, `/proc/self/fd/${handle.fd}`, AT_FDCWD, path, AT_SYMLINK_FOLLOW)),
    close: () => handle.close().catch(() => undefined),
  };
}

/** The fallback kind: a hidden name in the folder, hard-linked (linkat, exclusive) to the final name and removed on close. */
export async function openHidden(dir: string, mode: number): Promise<PendingFile> {
  const temp = join(dir, `.vdagent-xfer-${randomBytes(8).toString('hex')}.part`);
  const handle = await open(temp, 'wx', mode);
  return {
    handle,
    publish: (names, wanted) => publishAs(handle, dir, names, wanted, (libc, path) => libc.linkat(AT_FDCWD, temp, AT_FDCWD, path, 0)),
    close: async () => {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    },
  };
}

/** Whether `name` is one of the fallback's hidden names, which {@link removeLeftovers} removes. */
export function isPendingName(name: string): boolean {
  return HIDDEN.test(name);
}

/** Removes the hidden temporary files a killed helper left in `dir` (only names this module makes). */
export async function removeLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => []);
  await Promise.all(names.filter(isPendingName).map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

/**
 * fsync, then the first name `linkTo` can take (EEXIST: the next), then fsync of the folder so the
 * name lasts. `linkTo` is a synchronous linkat(2): `wanted()` is asked in the same turn of the
 * event loop, so what the process heard during the fsync (a client that left) keeps the name away.
 */
async function publishAs(handle: FileHandle, dir: string, names: readonly string[], wanted: () => boolean, linkTo: (libc: Libc, path: string) => void): Promise<string | undefined> {
  await handle.sync();
  const libc = await loadLibc();
  for (const name of names) {
    if (!wanted()) return undefined;
    const path = join(dir, name);
    try {
      linkTo(libc, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    const folder = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await folder.sync().finally(() => folder.close());
    return path;
  }
  return undefined;
}
