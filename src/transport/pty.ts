import fs from 'node:fs';
import koffi from 'koffi';

/** A pseudo-terminal: the master side plus the path of the raw-mode slave side. */
export interface PtyPair {
  /** Non-blocking master descriptor (the "host" end). */
  readonly masterFd: number;
  /** Path of the slave device, e.g. `/dev/pts/3` (the end a daemon opens). */
  readonly slavePath: string;
  /** A slave descriptor held open so the master never sees a hang-up while the slave is reopened. */
  readonly slaveFd: number;
  /** Closes both descriptors (idempotent). */
  close(): void;
}

const TCSANOW = 0;
const TERMIOS_BYTES = 128; // struct termios is 60 bytes on Linux; treated as opaque

interface Libc {
  grantpt(fd: number): number;
  unlockpt(fd: number): number;
  ptsname_r(fd: number, buf: Buffer, len: number): number;
  tcgetattr(fd: number, termios: Buffer): number;
  cfmakeraw(termios: Buffer): void;
  tcsetattr(fd: number, action: number, termios: Buffer): number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    grantpt: lib.func('int grantpt(int fd)'),
    unlockpt: lib.func('int unlockpt(int fd)'),
    ptsname_r: lib.func('int ptsname_r(int fd, _Out_ uint8_t *buf, size_t buflen)'),
    tcgetattr: lib.func('int tcgetattr(int fd, _Out_ uint8_t *termios)'),
    cfmakeraw: lib.func('void cfmakeraw(_Inout_ uint8_t *termios)'),
    tcsetattr: lib.func('int tcsetattr(int fd, int action, const uint8_t *termios)'),
  };
  return libc;
}

function check(rc: number, what: string, errno: number = koffi.errno()): void {
  if (rc === 0) return;
  const name = Object.entries(koffi.os.errno).find(([, v]) => v === errno)?.[0] ?? 'UNKNOWN';
  throw Object.assign(new Error(`${what} failed: ${name}`), { code: name, errno });
}

/** Opens a pty, unlocks it, and opens its slave in raw mode (no echo, no CR/LF or XON/XOFF handling). */
export function openPtyPair(): PtyPair {
  const c = fs.constants;
  const flags = c.O_RDWR | c.O_NOCTTY | c.O_NONBLOCK;
  const lib = loadLibc();
  const masterFd = fs.openSync('/dev/ptmx', flags);
  let slaveFd = -1;
  try {
    check(lib.grantpt(masterFd), 'grantpt');
    check(lib.unlockpt(masterFd), 'unlockpt');
    const nameBuf = Buffer.alloc(256);
    const rc = lib.ptsname_r(masterFd, nameBuf, nameBuf.length);
    check(rc, 'ptsname_r', rc);
    const slavePath = nameBuf.subarray(0, nameBuf.indexOf(0)).toString('utf8');
    slaveFd = fs.openSync(slavePath, flags);
    const termios = Buffer.alloc(TERMIOS_BYTES);
    check(lib.tcgetattr(slaveFd, termios), 'tcgetattr');
    lib.cfmakeraw(termios);
    check(lib.tcsetattr(slaveFd, TCSANOW, termios), 'tcsetattr');
    const fds = { masterFd, slaveFd };
    let closed = false;
    return {
      masterFd,
      slavePath,
      slaveFd,
      close(): void {
        if (closed) return;
        closed = true;
        fs.closeSync(fds.slaveFd);
        fs.closeSync(fds.masterFd);
      },
    };
  } catch (err) {
    if (slaveFd >= 0) fs.closeSync(slaveFd);
    fs.closeSync(masterFd);
    throw err;
  }
}
