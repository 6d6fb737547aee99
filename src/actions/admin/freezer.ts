import { closeSync, constants, openSync } from 'node:fs';
import { QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText, ioctlInt } from '../../platform/libc.js';
import { localMounts } from './mounts.js';

/** _IOWR('X', 119, int) and _IOWR('X', 120, int) from linux/fs.h. */
const FIFREEZE = 0xc0045877;
const FITHAW = 0xc0045878;

/**
 * Freezing filesystems, a seam: the real one issues FIFREEZE/FITHAW; tests that must not freeze
 * the machine's filesystems record the calls instead.
 */
export interface Freezer {
  /** Mount points of the local filesystems, in mount order. */
  mountpoints(): string[];
  /** Freezes one: 'frozen', or 'skipped' when it cannot be frozen or is frozen already; throws QgaError. */
  freeze(dir: string): 'frozen' | 'skipped';
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

/** The kernel's freezer (CAP_SYS_ADMIN). */
export const kernelFreezer: Freezer = {
  mountpoints: () => localMounts().map((m) => m.dir),
  freeze: (dir) =>
    withDir(dir, (fd) => {
      try {
        ioctlInt(fd, FIFREEZE, 0);
        return 'frozen';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EOPNOTSUPP' || code === 'EBUSY') return 'skipped';
        throw new QgaError(QgaErrorCode.CommandFailed, `failed to freeze ${dir}: ${errorText(err)}`);
      }
    }),
  thaw: (dir) => {
    try {
      return withDir(dir, (fd) => ioctlInt(fd, FITHAW, 0) === 0);
    } catch {
      return false;
    }
  },
};
