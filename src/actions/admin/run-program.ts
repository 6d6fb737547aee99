import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** How a program ended: its exit code, or the signal that killed it, or why it could not start. */
export type ProgramEnd = { code: number; signal: null } | { code: null; signal: NodeJS.Signals } | { error: Error };

/** What a program gets beyond its arguments. */
export interface ProgramInput {
  /** Written to its standard input, which is then closed (otherwise standard input is closed at once). */
  stdin?: Buffer;
  /** Its argv[0], when not the program's path. */
  argv0?: string;
}

/**
 * Runs a program by argument vector (never a shell) in a new session, with standard input closed
 * (or fed `input.stdin`) and its output collected (for logs), and waits for it to end. The program
 * does not keep the agent alive: a daemon told to stop exits even while one hangs.
 */
export function runProgram(program: string, args: readonly string[], input: ProgramInput = {}): Promise<ProgramEnd & { output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const options = { detached: true, argv0: input.argv0 };
    const child =
      input.stdin === undefined ? spawn(program, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(program, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    // A program that exits without reading all of its input is reported by its exit status, not EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input.stdin);
    const collect = (d: Buffer): void => {
      if (output.length < 4096) output += d.toString();
    };
    unrefChild(child);
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: Error) => resolve({ error, output }));
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve(signal ? { code: null, signal, output } : { code: code ?? 0, signal: null, output }));
  });
}

/** Lets the process exit while the child and its pipes are still open (events still arrive). */
export function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();
}
