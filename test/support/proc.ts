import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** VmRSS of a process, in bytes, from /proc. */
export function rssOf(pid: number | 'self'): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** VmHWM of a process (the highest its RSS has been), in bytes, from /proc. */
export function peakRssOf(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Starts a process's VmHWM afresh from its current RSS (clear_refs 5; the caller must be allowed to). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** CPU clock ticks (user + system, 10 ms each) a process used so far, from /proc. */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** The `vdagent session` helper a daemon runs, found among its children. */
export function helperPid(daemonPid: number): number | undefined {
  return helperPids(daemonPid)[0];
}

/** Every `vdagent session` helper among a daemon's children (those ending included); one that ends meanwhile is left out. */
export function helperPids(daemonPid: number): number[] {
  const children = readFileSync(`/proc/${daemonPid}/task/${daemonPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('session');
    } catch {
      return false;
    }
  });
}

/** The numbers of epoll_wait, epoll_pwait and epoll_pwait2 (arm64 has no epoll_wait): where libuv's loop waits. */
const EPOLL_WAITS = new Set(process.arch === 'arm64' ? ['22', '441'] : ['232', '281', '441']);

/**
 * Stops a Node process (SIGSTOP) where its event loop waits in epoll, retrying until a stop lands
 * there. Stopped anywhere else, its loop may still re-register a descriptor that is ready by the
 * time it goes on, and the kernel then reports that one after descriptors ready since: the order in
 * which it is woken would not be the order in which its inputs arrived.
 */
export async function stopInEventLoopWait(pid: number): Promise<void> {
  for (;;) {
    process.kill(pid, 'SIGSTOP');
    // /proc/PID/syscall names the system call a stopped thread is in, or -1 outside one.
    await new Promise((r) => setTimeout(r, 5));
    if (EPOLL_WAITS.has(readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0] ?? '')) return;
    process.kill(pid, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The numbers of openat(2), write(2), pwrite64(2), ioctl(2) and fsync(2) on this machine's architecture. */
const OPENAT = process.arch === 'arm64' ? '56' : '257';
const WRITE = process.arch === 'arm64' ? '64' : '1';
const PWRITE = process.arch === 'arm64' ? '68' : '18';
const IOCTL = process.arch === 'arm64' ? '29' : '16';
const FSYNC = process.arch === 'arm64' ? '82' : '74';

/** Whether one of a process's threads is inside system call `nr` now (/proc/PID/task/TID/syscall). */
function inSystemCall(pid: number, nr: string): boolean {
  return readdirSync(`/proc/${pid}/task`).some((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0] === nr;
    } catch {
      return false;
    }
  });
}

/** Whether one of a process's threads (libuv's pool included) is inside openat(2) now. */
export function inOpen(pid: number): boolean {
  return inSystemCall(pid, OPENAT);
}

/** Whether one of a process's threads (libuv's pool and workers included) is inside write(2) or pwrite(2) now. */
export function inWrite(pid: number): boolean {
  return inSystemCall(pid, WRITE) || inSystemCall(pid, PWRITE);
}

/** Whether one of a process's threads is inside ioctl(2) now. */
export function inIoctl(pid: number): boolean {
  return inSystemCall(pid, IOCTL);
}

/** Whether one of a process's threads (libuv's pool included) is inside fsync(2) now. */
export function inFsync(pid: number): boolean {
  return inSystemCall(pid, FSYNC);
}

/** Bytes waiting unread in the UNIX sockets a process holds (their Recv-Q, from iproute2's ss). */
export function unreadSocketBytes(pid: number): number {
  const lines = execFileSync('ss', ['-xpnH'], { encoding: 'utf8' }).split('\n');
  return lines.filter((l) => l.includes(`pid=${pid},`)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[2] ?? 0), 0);
}

/** Whether a process with this pid exists (signal 0 reaches it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
