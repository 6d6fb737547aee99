import fs from 'node:fs';
import { makeRaw, ptsName, unlockPty } from '../platform/libc.js';

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

/** Opens a pty, unlocks it, and opens its slave in raw mode (no echo, no CR/LF or XON/XOFF handling). */
export function openPtyPair(): PtyPair {
  const c = fs.constants;
  const flags = c.O_RDWR | c.O_NOCTTY | c.O_NONBLOCK;
  const masterFd = fs.openSync('/dev/ptmx', flags);
  let slaveFd = -1;
  try {
    unlockPty(masterFd);
    const slavePath = ptsName(masterFd);
    slaveFd = fs.openSync(slavePath, flags);
    makeRaw(slaveFd);
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
