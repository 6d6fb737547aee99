import { getSystemErrorName } from 'node:util';

/** A failed C library call, with the errno name as `code` (ENOENT, ENOTTY, …). */
export class SystemCallError extends Error {
  /** The errno name. */
  readonly code: string;

  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    const code = getSystemErrorName(-errno);
    super(`${call}: ${code}`);
    this.code = code;
  }
}

/** The few libc calls Node lacks. */
export interface Libc {
  /** `ioctl(fd, request, int)`; throws SystemCallError. */
  ioctlInt(fd: number, request: number, value: number, what: string): void;
  /** `ioctl(fd, request, void *)` on a buffer the kernel reads or fills; throws SystemCallError. */
  ioctlPtr(fd: number, request: number, arg: Buffer, what: string): void;
  /** `linkat(olddirfd, oldpath, newdirfd, newpath, flags)`; throws SystemCallError (EEXIST, …). */
  linkat(oldDirFd: number, oldPath: string, newDirFd: number, newPath: string, flags: number): void;
}

let loaded: Promise<Libc> | undefined;

/** Binds libc's variadic `ioctl` and `linkat` through koffi, once, on first use (koffi is not loaded otherwise). */
export function loadLibc(): Promise<Libc> {
  loaded ??= (async () => {
    const { default: koffi } = await import('koffi');
    const lib = koffi.load('libc.so.6');
    const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
    const linkat = lib.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)');
    const check = (rc: unknown, what: string): void => {
      if (rc === -1) throw new SystemCallError(what, koffi.errno());
    };
    return {
      ioctlInt: (fd, request, value, what) => check(ioctl(fd, request, 'int', value), `ioctl ${what}`),
      ioctlPtr: (fd, request, arg, what) => check(ioctl(fd, request, 'void *', arg), `ioctl ${what}`),
      linkat: (oldDirFd, oldPath, newDirFd, newPath, flags) => check(linkat(oldDirFd, oldPath, newDirFd, newPath, flags), 'linkat'),
    };
  })();
  return loaded;
}
