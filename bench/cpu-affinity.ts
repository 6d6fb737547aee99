import { execFileSync } from 'node:child_process';

/** The CPUs a process may run on, as taskset lists them (`0,1`, `0-3`). */
export function affinity(pid: number): string {
  const out = execFileSync('taskset', ['-pc', String(pid)]).toString();
  return out.slice(out.lastIndexOf(':') + 1).trim();
}

/** Sets the CPUs of every thread of a process (`taskset -apc`). */
export function setAffinity(pid: number, cpus: string): void {
  execFileSync('taskset', ['-apc', cpus, String(pid)], { stdio: 'ignore' });
}
