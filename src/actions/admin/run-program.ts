import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** How a program ended: its exit code, or the signal that killed it, or why it could not start. */
export type ProgramEnd = { code: number; signal: null } | { code: null; signal: NodeJS.Signals } | { error: Error };

/**
 * Runs a program by argument vector (never a shell) in a new session, with standard input closed
 * and its output collected (for logs), and waits for it to end. The program does not keep the
 * agent alive: a daemon told to stop exits even while one hangs.
 */
export function runProgram(program: string, args: readonly string[]): Promise<ProgramEnd & { output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const collect = (d: Buffer): void => {
      if (output.length < 4096) output += d.toString();
    };
    unrefChild(child);
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => resolve({ error, output }));
    child.once('close', (code, signal) => resolve(signal ? { code: null, signal, output } : { code: code ?? 0, signal: null, output }));
  });
}

/** Lets the process exit while the child and its pipes are still open (events still arrive). */
export function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();
}
