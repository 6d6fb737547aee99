import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { type Args, QgaError, QgaErrorCode } from '../../qga/index.js';
import { SYS_CPU } from './cpu.js';
import { systemFailure } from './proc-text.js';

/** Runs `f` on an open descriptor, closing it after. */
function withFd<T>(fd: number, f: (fd: number) => T): T {
  try {
    return f(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Brings one logical processor to the state asked, as qemu-ga does: its directory must exist; a
 * processor without an `online` file (cpu0 on x86) can stay online but not go offline; the
 * file is written only when its first byte says otherwise.
 */
function setVcpu(sysCpu: string, id: bigint, online: boolean): void {
  const dir = `${sysCpu}/cpu${id}/`;
  let dirFd: number;
  try {
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw systemFailure(`open("${dir}")`, err);
  }
  closeSync(dirFd);
  const file = `${dir}/online`;
  let fd: number;
  try {
    fd = openSync(`${dir}online`, constants.O_RDWR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw systemFailure(`open("${file}")`, err);
    if (!online) throw new QgaError(QgaErrorCode.CommandFailed, `logical processor #${id} can't be offlined`);
    return;
  }
  withFd(fd, () => {
    const status = Buffer.alloc(1);
    let n: number;
    try {
      n = readSync(fd, status, 0, 1, 0);
    } catch (err) {
      throw systemFailure(`pread("${file}")`, err);
    }
    if (n === 0) throw new QgaError(QgaErrorCode.CommandFailed, `pread("${file}"): unexpected EOF`);
    if (online === (status[0] !== 0x30)) return;
    try {
      writeSync(fd, online ? '1' : '0', 0);
    } catch (err) {
      throw systemFailure(`pwrite("${file}")`, err);
    }
  });
}

/**
 * guest-set-vcpus: each listed processor in turn, stopping at the first that fails; the count
 * done, or the first failure when none was (qemu-ga's answer).
 */
export function setVcpus(args: Args, sysCpu = SYS_CPU): number {
  const vcpus = args.optStructList('vcpus') ?? [];
  let done = 0;
  for (const vcpu of vcpus) {
    try {
      setVcpu(sysCpu, vcpu.int('logical-id'), vcpu.bool('online'));
    } catch (err) {
      if (done === 0) throw err;
      break;
    }
    done++;
  }
  return done;
}
