import { closeSync, constants, openSync } from 'node:fs';
import { QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText, ioctlInt } from '../../platform/libc.js';
import { inWorker } from './in-worker.js';
import { localMounts } from './mounts.js';

/** _IOWR('X', 119, int) and _IOWR('X', 120, int) from linux/fs.h. */
const FIFREEZE = 0xc0045877;
const FITHAW = 0xc0045878;

/** How a freeze of several filesystems went: how many were frozen, and qemu-ga's words for the one that failed, which ended it. */
export interface FreezeOutcome {
  frozen: number;
  error?: string;
}

/**
 * Freezing filesystems, a seam: the real one issues FIFREEZE/FITHAW; tests that must not freeze
 * the machine's filesystems record the calls instead.
 */
export interface Freezer {
  /** Mount points of the local filesystems, in mount order. */
  mountpoints(): string[];
  /** Freezes each in turn until one fails; one that cannot be frozen or is frozen already is skipped. */
  freeze(dirs: readonly string[]): Promise<FreezeOutcome>;
  /** Thaws one level; false when it was not frozen. */
  thaw(dir: string): boolean;
}

/** Runs `f` on a read-only descriptor of `dir`. */
function withDir<T>(dir: string, f: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new QgaError(QgaErrorCode.CommandFailed, `failed to open ${dir}`);
  }
  try {
    return f(fd);
  } finally {
    closeSync(fd);
  }
}

/** Freezes one filesystem: true when frozen, false when skipped; throws QgaError. */
function freezeOne(dir: string): boolean {
  return withDir(dir, (fd) => {
    try {
      ioctlInt(fd, FIFREEZE, 0);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EOPNOTSUPP' || code === 'EBUSY') return false;
      throw new QgaError(QgaErrorCode.CommandFailed, `failed to freeze ${dir}: ${errorText(err)}`);
    }
  });
}

/** Freezes each filesystem in turn (blocking: FIFREEZE writes back what is dirty first) until one fails. */
export function freezeEach(dirs: readonly string[]): FreezeOutcome {
  let frozen = 0;
  for (const dir of dirs) {
    try {
      if (freezeOne(dir)) frozen++;
    } catch (err) {
      return { frozen, error: err instanceof QgaError ? err.desc : String(err) };
    }
  }
  return { frozen };
}

/** The kernel's freezer (CAP_SYS_ADMIN); freezing runs on a worker thread, so a slow write-back holds up only the guest-agent side. */
export const kernelFreezer: Freezer = {
  mountpoints: () => localMounts().map((m) => m.dir),
  freeze: (dirs) => inWorker(new URL('./fsfreeze-worker.js', import.meta.url), dirs),
  thaw: (dir) => {
    try {
      return withDir(dir, (fd) => ioctlInt(fd, FITHAW, 0) === 0);
    } catch {
      return false;
    }
  },
};
