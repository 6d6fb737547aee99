import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ErrnoError } from '../../platform/errno.js';

const CHILD = fileURLToPath(new URL('./exec-bytes-child.js', import.meta.url));
/** The longest report the child writes: an errno's digits. */
const MAX_REPORT = 16;

/** Whether Node's spawn cannot pass these strings: a NUL in one. */
export function needsBytes(args: readonly string[], env: Readonly<Record<string, string>>): boolean {
  return args.some((a) => a.includes('\0')) || Object.entries(env).some(([k, v]) => k.includes('\0') || v.includes('\0'));
}

/** A child process, and the moment its program runs: rejected with the error that kept it from running. */
export interface ProgramStart {
  child: ChildProcess;
  started: Promise<void>;
}

/**
 * Starts `program` as `spawn(program, args, { argv0: program, env, stdio })` would, with each NUL
 * passed as qemu-ga passes it (C0 80), through exec-bytes-child.ts: started once the program has
 * replaced that child, rejected with the errno of a failed execve.
 */
export function spawnWithBytes(program: string, args: readonly string[], env: Readonly<Record<string, string>>, stdio: StdioOptions): ProgramStart {
  const strings = [program, ...args, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].map((s) => JSON.stringify(s));
  const streams = Array.isArray(stdio) ? stdio : [stdio, stdio, stdio];
  const child = spawn(process.execPath, [CHILD, String(args.length + 1), ...strings], { env: {}, stdio: [...streams.slice(0, 3), 'pipe'] });
  const started = new Promise<void>((resolve, reject) => {
    const report = child.stdio[3];
    if (!report) return reject(new Error('exec-bytes-child has no report pipe'));
    let text = '';
    child.once('error', reject);
    report.on('data', (d: Buffer) => (text = `${text}${d.toString()}`.slice(0, MAX_REPORT)));
    report.once('close', () => (text === '' ? resolve() : reject(ErrnoError.of(Number(text), 'execve'))));
  });
  return { child, started };
}
