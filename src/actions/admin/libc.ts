import { createRequire } from 'node:module';
import os from 'node:os';

type Koffi = typeof import('koffi').default;

/** koffi, loaded on first use: the daemon idles without its native module (about 5 MB). */
let koffiModule: Koffi | undefined;
const koffi = (): Koffi => (koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi);

/** The few libc calls Node does not offer. */
interface Libc {
  strerror(errnum: number): string;
  lseek(fd: number, offset: number, whence: number): number;
  ioctl(fd: number, request: number, ...args: unknown[]): number;
  clock_settime(clock: number, ts: { tv_sec: number | bigint; tv_nsec: number }): number;
  pipe2(fds: Int32Array, flags: number): number;
  getpwnam_r(name: string, pwd: Record<string, unknown>, buf: Buffer, size: number, result: unknown[]): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const lib = koffi().load('libc.so.6');
  koffi().struct('vdagent_timespec', { tv_sec: 'int64_t', tv_nsec: 'long' });
  koffi().struct('vdagent_passwd', { name: 'char *', passwd: 'char *', uid: 'uint32_t', gid: 'uint32_t', gecos: 'char *', dir: 'char *', shell: 'char *' });
  libc = {
    strerror: lib.func('const char *strerror(int errnum)'),
    lseek: lib.func('int64_t lseek(int fd, int64_t offset, int whence)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
    clock_settime: lib.func('int clock_settime(int clock, const vdagent_timespec *ts)'),
    pipe2: lib.func('int pipe2(_Out_ int32_t *fds, int flags)'),
    getpwnam_r: lib.func('int getpwnam_r(const char *name, _Out_ vdagent_passwd *pwd, _Out_ uint8_t *buf, size_t size, _Out_ void **result)'),
  };
  return libc;
}

/** An Error carrying an errno, as Node's own system errors do (errno negative, code the symbol). */
export class ErrnoError extends Error {
  override readonly name = 'ErrnoError';
  readonly errno: number;
  readonly code: string;

  constructor(errno: number, what: string) {
    super(`${what}: ${strerror(errno)}`);
    this.errno = -errno;
    this.code = Object.entries(os.constants.errno).find(([, v]) => v === errno)?.[0] ?? 'UNKNOWN';
  }
}

/** glibc's text for an errno ("No such file or directory"). */
export function strerror(errno: number): string {
  return load().strerror(errno);
}

/** The glibc text of a system error (Node's or ours), else its message. */
export function errorText(err: unknown): string {
  const errno = (err as NodeJS.ErrnoException | undefined)?.errno;
  if (typeof errno === 'number' && errno !== 0) return strerror(Math.abs(errno));
  return err instanceof Error ? err.message : String(err);
}

/** Throws ErrnoError when a libc call returned -1. */
function check(rc: number, what: string): number {
  if (rc === -1) throw new ErrnoError(koffi().errno(), what);
  return rc;
}

/** lseek(2): the new offset. */
export function lseek(fd: number, offset: number, whence: number): number {
  return check(load().lseek(fd, offset, whence), 'lseek');
}

/** ioctl(2) with an int argument. */
export function ioctlInt(fd: number, request: number, arg: number): number {
  return check(load().ioctl(fd, request, 'int', arg), 'ioctl');
}

/** ioctl(2) with a pointer to `arg`, which the kernel may read and write in place. */
export function ioctlBuffer(fd: number, request: number, arg: Buffer): number {
  return check(load().ioctl(fd, request, 'uint8_t *', arg), 'ioctl');
}

/** Sets CLOCK_REALTIME to `ns` nanoseconds since the epoch. */
export function setRealtimeClock(ns: bigint): void {
  const sec = ns / 1_000_000_000n;
  check(load().clock_settime(0, { tv_sec: sec, tv_nsec: Number(ns - sec * 1_000_000_000n) }), 'clock_settime');
}

/** A close-on-exec pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check(load().pipe2(fds, 0o2000000), 'pipe2');
  return [fds[0] as number, fds[1] as number];
}

/** A user's account entry, as getpwnam(3) reads it (files, LDAP, … through NSS). */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  dir: string;
}

/** getpwnam_r(3): the user's entry, or undefined when there is none; throws ErrnoError when the lookup itself fails. */
export function passwdEntry(name: string): PasswdEntry | undefined {
  const pwd: Record<string, unknown> = {};
  const result: unknown[] = [null];
  const rc = load().getpwnam_r(name, pwd, Buffer.alloc(16384), 16384, result);
  if (rc !== 0) throw new ErrnoError(rc, 'getpwnam_r');
  if (result[0] === null) return undefined;
  return { name: String(pwd.name), uid: Number(pwd.uid), gid: Number(pwd.gid), dir: String(pwd.dir) };
}
