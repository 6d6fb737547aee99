import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { type Args, QgaError, QgaErrorCode } from '../../qga/index.js';
import { SYS_CPU } from './cpu.js';
import { fromWorker, HOTPLUG_WORKER, type HotplugJob, type HotplugResult } from './hotplug-job.js';
import { inWorker } from './in-worker.js';
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

/** One processor to bring online or offline. */
export interface VcpuChange {
  id: bigint;
  online: boolean;
}

/**
 * Each processor in turn, stopping at the first that fails; the count done, or the first failure
 * when none was (qemu-ga's answer). Blocking: taking a processor offline waits in the kernel.
 */
export function applyVcpus(changes: readonly VcpuChange[], sysCpu = SYS_CPU): number {
  let done = 0;
  for (const { id, online } of changes) {
    try {
      setVcpu(sysCpu, id, online);
    } catch (err) {
      if (done === 0) throw err;
      break;
    }
    done++;
  }
  return done;
}

/** The changes a guest-set-vcpus request asks for, in order. */
export function vcpuChanges(args: Args): VcpuChange[] {
  return (args.optStructList('vcpus') ?? []).map((vcpu) => ({ id: vcpu.int('logical-id'), online: vcpu.bool('online') }));
}

/** guest-set-vcpus, on the calling thread. */
export function setVcpus(args: Args, sysCpu = SYS_CPU): number {
  return applyVcpus(vcpuChanges(args), sysCpu);
}

/** guest-set-vcpus on a worker thread, so the SPICE side goes on while a processor goes offline. */
export async function setVcpusInWorker(args: Args): Promise<number> {
  return fromWorker(await inWorker<HotplugResult<number>>(HOTPLUG_WORKER, { kind: 'vcpus', changes: vcpuChanges(args) } satisfies HotplugJob));
}
