import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A user's program that waits to take a duplicate of a descriptor of one of their processes (see grab-fd.c). */
export interface DescriptorGrab {
  /** Whether it holds the duplicate now. */
  held(): boolean;
  /** Closes the duplicate; resolves once the program ended. */
  release(): Promise<void>;
}

/**
 * Compiles grab-fd.c into `dir` (gcc, so `dir` must be searchable by the user) and runs it as
 * `user` (no supplementary groups; undefined: as this process, root): it takes descriptor `fd` of
 * the first process whose command line contains `needle`; with `wrap`, it wraps what the process
 * writes there in a JSON array of that many bytes of `{}`.
 */
export function grabDescriptor(dir: string, user: { uid: number; gid: number } | undefined, needle: string, fd: number, wrap?: number): DescriptorGrab {
  const program = join(dir, 'grab-fd');
  execFileSync('gcc', ['-O2', '-o', program, fileURLToPath(new URL('./grab-fd.c', import.meta.url))]);
  const args = [needle, String(fd), ...(wrap === undefined ? [] : [String(wrap)])];
  const child = user
    ? spawn('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', program, ...args], { stdio: ['pipe', 'pipe', 'inherit'], cwd: '/' })
    : spawn(program, args, { stdio: ['pipe', 'pipe', 'inherit'], cwd: '/' });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    held: () => out.includes('held\n'),
    async release() {
      child.stdin.end();
      if (!out.includes('held\n')) child.kill('SIGKILL');
      await exited;
    },
  };
}
