import { readdirSync, readlinkSync } from 'node:fs';

/**
 * The descriptors a process holds on files in `dir` (unnamed O_TMPFILEs included, which the
 * kernel shows as `dir/#inode (deleted)`), as `/proc/PID/fd/N` paths one can read the file through.
 * Empty when the process is gone.
 */
export function filesOpenIn(pid: number, dir: string): string[] {
  const fds = (() => {
    try {
      return readdirSync(`/proc/${pid}/fd`);
    } catch {
      return [];
    }
  })();
  return fds
    .map((fd) => `/proc/${pid}/fd/${fd}`)
    .filter((path) => {
      try {
        return readlinkSync(path).startsWith(`${dir}/`);
      } catch {
        return false; // closed meanwhile
      }
    });
}
