import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import { type Args, CAPTURE_MODES, decodeBase64, jsonObject, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { Capture, OutputPool } from './exec-capture.js';
import { type CaptureMode, execPipes, type ExecPipes } from './exec-pipes.js';
import { needsBytes, type ProgramStart, spawnWithBytes } from './exec-bytes.js';
import { BASE_ENV, childEnvironment } from './exec-env.js';
import { ErrnoError } from '../../platform/errno.js';
import { errorText } from '../../platform/libc.js';
import type { Logger } from '../../log/logger.js';
import type { ExecPolicy } from './policy.js';
import { unrefChild } from './run-program.js';

/** guest-exec jobs kept at once, running or finished but not yet collected by guest-exec-status. */
export const MAX_JOBS = 64;
/** Captured output of all kept jobs together, and input not yet taken by the programs. */
export const MAX_KEPT_OUTPUT = 64 * 1024 * 1024;

/** A process started by guest-exec, until the host has seen it exit. */
interface Job {
  out: Capture | undefined;
  err: Capture | undefined;
  pending: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** A program found for a name, or the error GLib's search reports for it. */
export type Resolution = { program: string } | { error: Error };

/** Errors of a PATH entry that make GLib's search try the next one (EACCES is also remembered). */
const SKIPPED = new Set(['ENOENT', 'ENOTDIR', 'ESTALE', 'ENODEV', 'ETIMEDOUT', 'EACCES']);

/**
 * Where a program name leads, as g_spawn's PATH search finds it: itself when it has a slash, else
 * the first entry of `searchPath` that execve would run. An entry that is missing, not a regular
 * file or not executable is passed over; any other error (a link loop) ends the search with it;
 * with no program found the error is "Permission denied" when some entry was passed over for
 * permission, else "No such file or directory" (also for an empty name or one with a NUL).
 */
export function resolveProgram(path: string, searchPath: string): Resolution {
  const missing = new ErrnoError('ENOENT', `cannot find ${path}`);
  // qemu-ga's name holds C0 80 for a NUL: no program has it. GLib finds no program named "" (ENOENT)
  // rather than trying each directory of PATH itself.
  if (path === '' || path.includes('\0')) return { error: missing };
  if (path.includes('/')) return { program: path };
  let denied = false;
  for (const dir of searchPath.split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${path}`;
    try {
      if (!statSync(candidate).isFile()) throw new ErrnoError('EACCES', `${candidate} is not a regular file`);
      accessSync(candidate, constants.X_OK);
      return { program: candidate };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!SKIPPED.has(code)) return { error: err as Error };
      denied ||= code === 'EACCES';
    }
  }
  return { error: denied ? new ErrnoError('EACCES', `cannot run ${path}`) : missing };
}

/** A program spawned by Node, and when it has started (or why it could not). */
function spawnProgram(program: string, args: readonly string[], env: Record<string, string>, stdio: StdioOptions): ProgramStart {
  const child = spawn(program, args, { argv0: program, env, stdio });
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return { child, started };
}

const failed = (detail: string, code = QgaErrorCode.CommandFailed): QgaError =>
  new QgaError(code, `Guest agent command failed, error was '${detail}'`);

/**
 * guest-exec and guest-exec-status: programs from the exec allow list, by argument vector, never a
 * shell, under the name the entry lists, with a fixed environment plus the variables the entry
 * accepts. Kept jobs, their output and the input they have not read yet are bounded; past a bound
 * new jobs are refused until the host collects finished ones (or the programs read their input).
 */
export class ExecCommands {
  /** Kept jobs by pid, oldest first: the kernel may give a new job the pid of one not yet collected. */
  private readonly jobs = new Map<number, Job[]>();
  private readonly pool = new OutputPool(MAX_KEPT_OUTPUT);

  constructor(
    private readonly policy: () => ExecPolicy,
    private readonly log: Logger,
  ) {}

  /** A refusal by the entry: logged naming it, answered in qemu-ga's shape. */
  private refuse(detail: string): QgaError {
    this.log.warn(`guest-exec refused by ${this.policy().entry ?? 'actions.d exec'}: ${detail}`);
    return failed(detail, QgaErrorCode.NotAllowed);
  }

  /** guest-exec: starts the program and answers its pid at once. */
  async exec(args: Args): Promise<JsonObject> {
    const path = args.str('path');
    const input = args.optStr('input-data');
    const stdin = input === undefined ? undefined : decodeBase64(input);
    const capture = args.optBoolOrStr('capture-output') ?? false;
    const mode: CaptureMode = capture === true ? 'separated' : (CAPTURE_MODES.find((m) => m === capture) ?? 'none');
    const policy = this.policy();
    const resolved = resolveProgram(path, BASE_ENV.PATH as string);
    // Checked before existence, so a refused host learns nothing about the guest's files.
    const program = policy.program('program' in resolved ? resolved.program : path);
    if (program === undefined) throw this.refuse(`program \u201C${path}\u201D is not allowed by actions.d exec`);
    const env = childEnvironment(args.optStrList('env') ?? [], policy.env);
    if (!env.ok) throw this.refuse(`environment variable \u201C${env.refused}\u201D is not accepted by actions.d exec`);
    if ('error' in resolved) throw failed(`Failed to execute child process \u201C${path}\u201D (${errorText(resolved.error)})`);
    const jobs = this.keptJobs();
    if (jobs >= MAX_JOBS || this.pool.full) {
      const kept = `${jobs} processes, ${this.pool.used} bytes of output`;
      this.log.warn(`guest-exec refused: ${kept} kept for the host`);
      throw failed(`too many guest-exec results kept (${kept}); collect them with guest-exec-status`, QgaErrorCode.LimitReached);
    }

    const argv = args.optStrList('arg') ?? [];
    let pipes: ExecPipes;
    try {
      pipes = execPipes(mode, stdin !== undefined);
    } catch (err) {
      // GLib's spawn (g_unix_open_pipe) says only strerror: "Too many open files".
      throw failed(errorText(err));
    }
    try {
      const start = needsBytes(argv, env.env) ? spawnWithBytes(program, argv, env.env, pipes.stdio) : spawnProgram(program, argv, env.env, pipes.stdio);
      const { child } = start;
      // Jobs outlive a stopping agent, as qemu-ga's do, and do not hold it up. Watched at once: a
      // program may end, and Node flush its output, before it is known to have started.
      unrefChild(child);
      const job = this.watch(child, pipes);
      await start.started;
      const { input } = pipes;
      if (stdin && input) {
        // Held until the program has read it (or is gone): kept like output, within the pool.
        this.pool.used += stdin.length;
        input.once('close', () => (this.pool.used -= stdin.length));
        input.on('error', () => undefined);
        input.end(stdin);
      }
      return jsonObject({ pid: this.keep(child.pid as number, job) });
    } catch (err) {
      pipes.destroy();
      throw failed(`Failed to execute child process \u201C${path}\u201D (${errorText(err)})`);
    } finally {
      pipes.closeChildEnds();
    }
  }

  /** A job following the program's captured streams and its end. */
  private watch(child: ChildProcess, pipes: ExecPipes): Job {
    const job: Job = { out: undefined, err: undefined, pending: 1, exit: undefined };
    const done = (): void => {
      job.pending--;
    };
    if (pipes.out) job.pending++;
    if (pipes.err) job.pending++;
    job.out = pipes.out ? new Capture(pipes.out, this.pool, done) : undefined;
    job.err = pipes.err ? new Capture(pipes.err, this.pool, done) : undefined;
    child.once('exit', (code, signal) => {
      job.exit = { code, signal };
      done();
    });
    return job;
  }

  /** Keeps a started job for guest-exec-status; answers its pid. */
  private keep(pid: number, job: Job): number {
    const sharing = this.jobs.get(pid);
    if (sharing) sharing.push(job);
    else this.jobs.set(pid, [job]);
    return pid;
  }

  /** Jobs kept, counting each of those that share a pid. */
  private keptJobs(): number {
    let n = 0;
    for (const sharing of this.jobs.values()) n += sharing.length;
    return n;
  }

  /**
   * guest-exec-status: running, or exited with code or signal and the captured output (then
   * forgotten). Of jobs that had the same pid, the oldest is reported, as qemu-ga finds them.
   */
  status(args: Args): JsonObject {
    const pid = args.int('pid');
    const sharing = pid > 0n && pid <= 0x7fffffffn ? this.jobs.get(Number(pid)) : undefined;
    const job = sharing?.[0];
    if (!sharing || !job) throw new QgaError(QgaErrorCode.InvalidParameterValue, "Invalid parameter 'pid'");
    if (job.pending > 0 || !job.exit) return jsonObject({ exited: false });
    sharing.shift();
    if (sharing.length === 0) this.jobs.delete(Number(pid));
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
