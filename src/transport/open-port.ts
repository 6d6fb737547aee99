import fs from 'node:fs';
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import { CharDevicePort } from './chardev-port.js';
import type { Port } from './port.js';
import { SerialPortPort } from './serial-port.js';
import { UnixSocketPort } from './unix-socket-port.js';

/** Where openPortFor() looks up device classes; overridable for tests. */
export interface OpenPortOptions {
  /** sysfs directory of character devices by `major:minor`. */
  sysDevCharDir?: string;
  /** The port lends its reads (see Port.lendsReads): for a consumer that keeps no view of them. */
  lendReads?: boolean;
}

/** Whether sysfs files the device under virtio-ports (so it needs no trial open). */
function isVirtioPort(path: string, sysDevCharDir: string): boolean {
  try {
    const { rdev } = fs.statSync(path, { bigint: true });
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    return basename(fs.readlinkSync(`${sysDevCharDir}/${major}:${minor}/subsystem`)) === 'virtio-ports';
  } catch {
    return false;
  }
}

/** Whether `path` opens as a terminal; false when it cannot be opened (the caller's open() will say why). */
function isTty(path: string): boolean {
  const c = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, c.O_RDWR | c.O_NOCTTY | c.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    return isatty(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether `path` is a UNIX socket; false when it cannot be looked at. */
function isSocket(path: string): boolean {
  try {
    return fs.statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** A not-yet-open Port for `path`: UnixSocketPort for a socket, SerialPortPort for a tty or pty, else CharDevicePort. */
export function openPortFor(path: string, opts: OpenPortOptions = {}): Port {
  if (isSocket(path)) return new UnixSocketPort(path, { lendReads: opts.lendReads });
  // A trial open of a virtio port would show the host a connect and a disconnect: skip it.
  if (isVirtioPort(path, opts.sysDevCharDir ?? '/sys/dev/char')) return new CharDevicePort(path, path, { lendReads: opts.lendReads });
  return isTty(path) ? new SerialPortPort(path, { lendReads: opts.lendReads }) : new CharDevicePort(path, path, { lendReads: opts.lendReads });
}
