import { closeSync } from 'node:fs';
import os from 'node:os';
import koffi from 'koffi';
import { ErrnoError } from './errno.js';

// The libc calls Node lacks, each declared once, bound when this module is first imported: code
// that must not load koffi (about 5 MB) before it is needed imports it through load-libc.ts.
const lib = koffi.load('libc.so.6');
const timespec = koffi.struct({ tv_sec: 'int64_t', tv_nsec: 'long' });
const ifaddrs = koffi.struct({ next: 'void *', name: 'const char *', flags: 'uint32_t', addr: 'void *', netmask: 'void *', ifu: 'void *', data: 'void *' });
const passwd = koffi.struct({ name: 'char *', passwd: 'char *', uid: 'uint32_t', gid: 'uint32_t', gecos: 'char *', dir: 'char *', shell: 'char *' });

const c = {
  strerror: lib.func('const char *strerror(int errnum)') as (errnum: number) => string,
  ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as (fd: number, request: number, ...args: unknown[]) => number,
  lseek: lib.func('int64_t lseek(int fd, int64_t offset, int whence)') as (fd: number, offset: bigint, whence: number) => number | bigint,
  linkat: lib.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)') as (
    oldDirFd: number, oldPath: string, newDirFd: number, newPath: string, flags: number,
  ) => number,
  clock_settime: lib.func('clock_settime', 'int', ['int', koffi.pointer(timespec)]) as (clock: number, ts: { tv_sec: bigint; tv_nsec: number }) => number,
  pipe2: lib.func('int pipe2(_Out_ int32_t *fds, int flags)') as (fds: Int32Array, flags: number) => number,
  socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int32_t *sv)') as (domain: number, type: number, protocol: number, sv: Int32Array) => number,
  getpwnam_r: lib.func('getpwnam_r', 'int', ['const char *', koffi.out(koffi.pointer(passwd)), koffi.out(koffi.pointer('uint8_t')), 'size_t', koffi.out(koffi.pointer('void *'))]) as {
    async(name: string, pwd: Record<string, unknown>, buf: Buffer, size: number, result: unknown[], done: (err: unknown, rc: number) => void): void;
  },
  grantpt: lib.func('int grantpt(int fd)') as (fd: number) => number,
  unlockpt: lib.func('int unlockpt(int fd)') as (fd: number) => number,
  ptsname_r: lib.func('int ptsname_r(int fd, _Out_ uint8_t *buf, size_t buflen)') as (fd: number, buf: Buffer, len: number) => number,
  tcgetattr: lib.func('int tcgetattr(int fd, _Out_ uint8_t *termios)') as (fd: number, termios: Buffer) => number,
  cfmakeraw: lib.func('void cfmakeraw(_Inout_ uint8_t *termios)') as (termios: Buffer) => void,
  tcsetattr: lib.func('int tcsetattr(int fd, int action, const uint8_t *termios)') as (fd: number, action: number, termios: Buffer) => number,
  epoll_create1: lib.func('int epoll_create1(int flags)') as (flags: number) => number,
  epoll_ctl: lib.func('int epoll_ctl(int epfd, int op, int fd, const uint8_t *event)') as (epfd: number, op: number, fd: number, event: Buffer) => number,
  epoll_wait: lib.func('int epoll_wait(int epfd, _Out_ uint8_t *events, int maxevents, int timeout)') as (epfd: number, events: Buffer, max: number, timeout: number) => number,
  mallopt: lib.func('int mallopt(int param, int value)') as (param: number, value: number) => number,
  malloc_trim: lib.func('int malloc_trim(size_t pad)') as (pad: number) => number,
  fcntl: lib.func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number,
  signal: lib.func('void *signal(int sig, void *handler)') as (sig: number, handler: null) => unknown,
  getifaddrs: lib.func('int getifaddrs(_Out_ void **ifap)') as (ifap: unknown[]) => number,
  freeifaddrs: lib.func('void freeifaddrs(void *ifa)') as (ifa: unknown) => void,
  inet_ntop: lib.func('const char *inet_ntop(int af, const uint8_t *src, _Out_ uint8_t *dst, uint32_t size)') as (af: number, src: Buffer, dst: Buffer, size: number) => string | null,
  execve: lib.func('int execve(const char *path, void **argv, void **envp)') as (path: Buffer, argv: (Buffer | null)[], envp: (Buffer | null)[]) => number,
};

const TCSANOW = 0;
const TERMIOS_BYTES = 128; // struct termios is 60 bytes on Linux; treated as opaque
const O_CLOEXEC = 0o2000000;

/** Throws ErrnoError when a libc call returned -1 (errno set); else its result. */
function check(rc: number, what: string): number {
  if (rc === -1) throw ErrnoError.of(koffi.errno(), what);
  return rc;
}

/** glibc's text for an errno ("No such file or directory"). */
export function strerror(errno: number): string {
  return c.strerror(errno);
}

/** The glibc text of a system error (Node's or ours), else its message. */
export function errorText(err: unknown): string {
  const errno = (err as NodeJS.ErrnoException | undefined)?.errno;
  if (typeof errno === 'number' && errno !== 0) return strerror(Math.abs(errno));
  return err instanceof Error ? err.message : String(err);
}

/** ioctl(2) with an int argument; `what` names the request in the error. */
export function ioctlInt(fd: number, request: number, value: number, what = 'ioctl'): number {
  return check(c.ioctl(fd, request, 'int', value), what);
}

/** ioctl(2) with a pointer to `arg`, which the kernel may read and write in place; `what` names the request in the error. */
export function ioctlBuffer(fd: number, request: number, arg: Buffer, what = 'ioctl'): number {
  return check(c.ioctl(fd, request, 'uint8_t *', arg), what);
}

/** lseek(2): the new offset (a bigint past Number's exact integers: a tmpfs file reaches 2^63 - 1). */
export function lseek(fd: number, offset: bigint, whence: number): number | bigint {
  const at = c.lseek(fd, offset, whence);
  return typeof at === 'bigint' ? at : check(at, 'lseek');
}

/** linkat(2); ErrnoError EEXIST when `newPath` is taken. */
export function linkat(oldDirFd: number, oldPath: string, newDirFd: number, newPath: string, flags: number): void {
  check(c.linkat(oldDirFd, oldPath, newDirFd, newPath, flags), 'linkat');
}

/** Sets CLOCK_REALTIME to `ns` nanoseconds since the epoch. */
export function setRealtimeClock(ns: bigint): void {
  const sec = ns / 1_000_000_000n;
  check(c.clock_settime(0, { tv_sec: sec, tv_nsec: Number(ns - sec * 1_000_000_000n) }), 'clock_settime');
}

/** A close-on-exec pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check(c.pipe2(fds, O_CLOEXEC), 'pipe2');
  return [fds[0] as number, fds[1] as number];
}

/** struct epoll_event on x86-64 and arm64 alike as far as it is used here: u32 events, then 8 bytes of data (packed on x86-64). */
const EPOLL_EVENT_BYTES = 16;
const EPOLL_CTL_ADD = 1;

/**
 * A close-on-exec epoll descriptor watching `fd` edge-triggered for `events` (EPOLLIN, EPOLLOUT,
 * EPOLLET …): it becomes readable once per wake-up of `fd`'s wait queue, not while a condition lasts.
 */
export function edgeEpoll(fd: number, events: number): number {
  const epfd = check(c.epoll_create1(O_CLOEXEC), 'epoll_create1');
  const event = Buffer.alloc(EPOLL_EVENT_BYTES);
  event.writeUInt32LE(events >>> 0, 0);
  try {
    check(c.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event), 'epoll_ctl');
  } catch (err) {
    closeSync(epfd);
    throw err;
  }
  return epfd;
}

/** Takes the events waiting on an epoll descriptor without blocking; how many there were. */
export function drainEpoll(epfd: number): number {
  const events = Buffer.alloc(EPOLL_EVENT_BYTES * 8);
  let total = 0;
  for (;;) {
    const n = check(c.epoll_wait(epfd, events, 8, 0), 'epoll_wait');
    total += n;
    if (n < 8) return total;
  }
}

/** Two connected close-on-exec UNIX stream sockets (socketpair(2)). */
export function socketPair(): [number, number] {
  const AF_UNIX = 1;
  const SOCK_STREAM = 1;
  const fds = new Int32Array(2);
  check(c.socketpair(AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0, fds), 'socketpair');
  return [fds[0] as number, fds[1] as number];
}

/** A user's account entry, as getpwnam(3) reads it (files, LDAP, … through NSS). */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  dir: string;
}

/**
 * getpwnam_r(3) on libuv's thread pool (koffi's asynchronous call), since NSS may ask a server
 * (LDAP, SSSD) and wait for it: the user's entry, or undefined when there is none; rejects with
 * ErrnoError when the lookup itself fails.
 */
export function passwdEntry(name: string): Promise<PasswdEntry | undefined> {
  const pwd: Record<string, unknown> = {};
  const result: unknown[] = [null];
  return new Promise((resolve, reject) => {
    c.getpwnam_r.async(name, pwd, Buffer.alloc(16384), 16384, result, (err: unknown, rc: number) => {
      if (err) return reject(err instanceof Error ? err : new Error('getpwnam_r could not be called'));
      if (rc !== 0) return reject(ErrnoError.of(rc, 'getpwnam_r'));
      resolve(result[0] === null ? undefined : { name: String(pwd.name), uid: Number(pwd.uid), gid: Number(pwd.gid), dir: String(pwd.dir) });
    });
  });
}

/** grantpt(3) and unlockpt(3): the pty master's slave may be opened. */
export function unlockPty(masterFd: number): void {
  check(c.grantpt(masterFd), 'grantpt');
  check(c.unlockpt(masterFd), 'unlockpt');
}

/** ptsname_r(3): the path of a pty master's slave, e.g. `/dev/pts/3`. */
export function ptsName(masterFd: number): string {
  const buf = Buffer.alloc(256);
  const rc = c.ptsname_r(masterFd, buf, buf.length);
  if (rc !== 0) throw ErrnoError.of(rc, 'ptsname_r');
  return buf.subarray(0, buf.indexOf(0)).toString('utf8');
}

/** Puts a terminal in raw mode now (cfmakeraw: no echo, no CR/LF or XON/XOFF handling). */
export function makeRaw(fd: number): void {
  const termios = Buffer.alloc(TERMIOS_BYTES);
  check(c.tcgetattr(fd, termios), 'tcgetattr');
  c.cfmakeraw(termios);
  check(c.tcsetattr(fd, TCSANOW, termios), 'tcsetattr');
}

/** mallopt(3) parameters: free memory kept at the heap's top, and the size from which malloc maps memory of its own. */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
/** glibc's initial value of both. */
const GLIBC_THRESHOLD = 128 * 1024;

/**
 * With `bytes`, C allocations up to that size come from the heap and up to twice it of freed memory
 * stays resident, so a buffer freed and allocated again (Xlib's reply to each INCR piece) reuses
 * pages already faulted in instead of mapping fresh ones (about 0.5 ms per MiB here); with
 * undefined, glibc's initial thresholds hold again (no longer adjusted as it goes) and every free
 * page of the heap is given back at once.
 */
export function keepFreedHeap(bytes: number | undefined): void {
  c.mallopt(M_MMAP_THRESHOLD, bytes ?? GLIBC_THRESHOLD);
  c.mallopt(M_TRIM_THRESHOLD, bytes === undefined ? GLIBC_THRESHOLD : 2 * bytes);
  if (bytes === undefined) c.malloc_trim(0);
}

const F_SETFD = 2;
const FD_CLOEXEC = 1;
const SIG_DFL = null;

/**
 * execve(2) with byte strings (each given without its final NUL), set up as a spawned child's exec
 * is: SIGPIPE and SIGXFSZ, which Node ignores, back to their default, and the standard streams
 * kept open across it. Returns only by throwing the ErrnoError of a failed execve.
 */
export function execBytes(path: Buffer, argv: readonly Buffer[], envp: readonly Buffer[]): never {
  const cString = (b: Buffer): Buffer => Buffer.concat([b, Buffer.of(0)]);
  for (const sig of [os.constants.signals.SIGPIPE, os.constants.signals.SIGXFSZ]) c.signal(sig, SIG_DFL);
  for (const fd of [0, 1, 2]) check(c.fcntl(fd, F_SETFD, 0), 'fcntl');
  check(c.execve(cString(path), [...argv.map(cString), null], [...envp.map(cString), null]), 'execve');
  throw ErrnoError.of(koffi.errno(), 'execve');
}

/** Marks a descriptor close-on-exec. */
export function closeOnExec(fd: number): void {
  check(c.fcntl(fd, F_SETFD, FD_CLOEXEC), 'fcntl');
}

/** Address families getifaddrs(3) gives addresses of. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** One getifaddrs(3) entry: an interface's (or labelled alias's) name and, for IPv4 and IPv6, its address as inet_ntop(3) writes it and its netmask's bits. */
export interface InterfaceAddress {
  name: string;
  family: number;
  address?: string;
  prefix?: number;
}

/** Where a family's address lies in its struct sockaddr, and its length. */
const ADDRESS_AT: Record<number, { at: number; bytes: number }> = { [AF_INET]: { at: 4, bytes: 4 }, [AF_INET6]: { at: 8, bytes: 16 } };

/** getifaddrs(3): every entry in its order (each link first, then the addresses); throws ErrnoError when it fails. */
export function interfaceAddresses(): InterfaceAddress[] {
  const head: unknown[] = [null];
  check(c.getifaddrs(head), 'getifaddrs');
  const entries: InterfaceAddress[] = [];
  try {
    for (let p = head[0]; p !== null; ) {
      const ifa = koffi.decode(p, ifaddrs) as { next: unknown; name: string; addr: unknown; netmask: unknown };
      const family = ifa.addr === null ? -1 : (koffi.decode(ifa.addr, 'uint16_t') as number);
      const where = ADDRESS_AT[family];
      if (where && ifa.addr !== null) {
        const bytes = Buffer.from(koffi.view(ifa.addr, where.at + where.bytes)).subarray(where.at);
        const mask = ifa.netmask === null ? Buffer.alloc(0) : Buffer.from(koffi.view(ifa.netmask, where.at + where.bytes)).subarray(where.at);
        const text = Buffer.alloc(64);
        const address = c.inet_ntop(family, bytes, text, text.length) === null ? undefined : text.toString('latin1', 0, text.indexOf(0));
        let prefix = 0;
        for (const byte of mask) for (let b = byte; b !== 0; b &= b - 1) prefix++;
        entries.push({ name: ifa.name, family, address, prefix });
      } else entries.push({ name: ifa.name, family });
      p = ifa.next;
    }
  } finally {
    c.freeifaddrs(head[0]);
  }
  return entries;
}
