import { spawn, type StdioOptions } from 'node:child_process';
import { accessSync, closeSync, constants } from 'node:fs';
import { Socket } from 'node:net';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { type Args, decodeBase64, jsonObject, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText, pipe } from './libc.js';

/** Captured output kept per stream; the excess is read and dropped (qemu-ga's cap). */
export const MAX_CAPTURE = 16 * 1024 * 1024;
/** PATH when a supplied environment has none (GLib's fallback). */
const FALLBACK_PATH = '/bin:/usr/bin:.';

/** Output of one stream, capped. */
class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(stream: Readable, done: () => void) {
    stream.on('data', (chunk: Buffer) => {
      const room = MAX_CAPTURE - this.size;
      if (chunk.length > room) this.truncated = true;
      if (room <= 0) return;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(kept);
      this.size += kept.length;
    });
    stream.on('error', () => undefined);
    stream.on('close', done);
  }

  /** `out-data`/`err-data` and the truncated flag, or nothing when the stream was empty. */
  report(status: JsonObject, data: string, flag: string): void {
    if (this.size === 0) return;
    status.set(data, Buffer.concat(this.chunks, this.size).toString('base64'));
    status.set(flag, this.truncated);
  }
}

/** A process started by guest-exec, until the host has seen it exit. */
interface Job {
  out: Capture | undefined;
  err: Capture | undefined;
  pending: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** Where a program name leads: itself when it has a slash, else the first executable on PATH. */
export function resolveProgram(path: string, searchPath: string): string | undefined {
  if (path.includes('/')) return path;
  for (const dir of searchPath.split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${path}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next directory
    }
  }
  return undefined;
}

const failed = (detail: string): QgaError =>
  new QgaError(QgaErrorCode.CommandFailed, `Guest agent command failed, error was '${detail}'`);

/** guest-exec and guest-exec-status: programs from the exec allow list, by argument vector, never a shell. */
export class ExecCommands {
  private readonly jobs = new Map<number, Job>();

  constructor(private readonly allowed: (program: string) => boolean) {}

  /** guest-exec: starts the program and answers its pid at once. */
  async exec(args: Args): Promise<JsonObject> {
    const path = args.str('path');
    const env = args.optStrList('env');
    const input = args.optStr('input-data');
    const stdin = input === undefined ? undefined : decodeBase64(input);
    const capture = args.optBoolOrStr('capture-output') ?? false;
    const mode = capture === true ? 'separated' : capture === false ? 'none' : capture;
    const searchPath = env ? (env.find((e) => e.startsWith('PATH='))?.slice(5) ?? FALLBACK_PATH) : (process.env.PATH ?? FALLBACK_PATH);
    const program = resolveProgram(path, searchPath);
    // Checked before existence, so a refused host learns nothing about the guest's files.
    if (!this.allowed(program ?? path)) {
      throw new QgaError(QgaErrorCode.NotAllowed, `Guest agent command failed, error was 'program \u201C${path}\u201D is not allowed by actions.d exec'`);
    }
    if (!program) throw failed(`Failed to execute child process \u201C${path}\u201D (No such file or directory)`);

    let merged: [number, number] | undefined;
    let stdio: StdioOptions;
    if (mode === 'merged') {
      merged = pipe();
      stdio = [stdin ? 'pipe' : 'ignore', merged[1], merged[1]];
    } else {
      const out = mode === 'separated' || mode === 'stdout' ? 'pipe' : 'ignore';
      const err = mode === 'separated' || mode === 'stderr' ? 'pipe' : 'ignore';
      stdio = [stdin ? 'pipe' : 'ignore', out, err];
    }
    const environment = env ? Object.fromEntries(env.filter((e) => e.includes('=')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : process.env;
    const child = spawn(program, args.optStrList('arg') ?? [], { argv0: path, env: environment, stdio });
    if (merged) closeSync(merged[1]);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      if (merged) closeSync(merged[0]);
      throw failed(`Failed to execute child process \u201C${path}\u201D (${errorText(err)})`);
    }
    const pid = child.pid as number;
    const job: Job = { out: undefined, err: undefined, pending: 1, exit: undefined };
    const done = (): void => {
      job.pending--;
    };
    if (merged) {
      job.pending++;
      job.out = new Capture(new Socket({ fd: merged[0], readable: true, writable: false }), done);
    } else {
      if (child.stdout) job.pending++;
      if (child.stderr) job.pending++;
      job.out = child.stdout ? new Capture(child.stdout, done) : undefined;
      job.err = child.stderr ? new Capture(child.stderr, done) : undefined;
    }
    child.once('exit', (code, signal) => {
      job.exit = { code, signal };
      done();
    });
    if (stdin && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
    }
    this.jobs.set(pid, job);
    return jsonObject({ pid });
  }

  /** guest-exec-status: running, or exited with code or signal and the captured output (then forgotten). */
  status(args: Args): JsonObject {
    const pid = args.int('pid');
    const job = pid > 0n && pid <= 0x7fffffffn ? this.jobs.get(Number(pid)) : undefined;
    if (!job) throw new QgaError(QgaErrorCode.InvalidParameterValue, "Invalid parameter 'pid'");
    if (job.pending > 0 || !job.exit) return jsonObject({ exited: false });
    this.jobs.delete(Number(pid));
    const { code, signal } = job.exit;
    const status = jsonObject({
      exited: true,
      exitcode: signal ? undefined : (code ?? 0),
      signal: signal ? os.constants.signals[signal] : undefined,
    });
    job.out?.report(status, 'out-data', 'out-truncated');
    job.err?.report(status, 'err-data', 'err-truncated');
    return status;
  }
}
