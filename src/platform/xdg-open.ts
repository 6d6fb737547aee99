import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log/logger.js';

/**
 * How long one xdg-open may run. Where no desktop environment is recognised, xdg-open waits for
 * the file manager it started; ending xdg-open then leaves that window open.
 */
export const XDG_OPEN_LIMIT_MS = 30_000;

/** xdg-open's exit statuses (xdg-utils) and what they mean. */
const EXIT_MEANING: Readonly<Record<number, string>> = {
  1: 'error in command line syntax',
  2: 'the folder does not exist',
  3: 'a tool it needs was not found',
  4: 'the action failed',
};

/**
 * Opens folders in the user's file manager through `xdg-open FOLDER`: an argument vector (no
 * shell), the program found on PATH as this process has it, stdio on /dev/null (nothing of its
 * output is read or kept), one run at a time (a request while one runs is skipped and logged), and
 * at most {@link XDG_OPEN_LIMIT_MS}: then xdg-open alone is killed, not what it started. A failure
 * is a log line, never an error to the caller.
 */
export class FolderOpener {
  /** The run under way, and its time limit. */
  private running: { child: ChildProcess; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly log: Logger,
    private readonly limitMs = XDG_OPEN_LIMIT_MS,
  ) {}

  /**
   * Runs xdg-open on `folder` (an absolute path) in `env`; resolves once it ended, never rejects.
   * Undefined when skipped, as one runs still.
   */
  open(folder: string, env: NodeJS.ProcessEnv): Promise<void> | undefined {
    if (!folder.startsWith('/')) throw new RangeError(`not an absolute path: ${JSON.stringify(folder)}`);
    if (this.running) {
      this.log.info(`xdg-open ${folder}: the previous xdg-open (pid ${this.running.child.pid}) still runs; not opened again`);
      return undefined;
    }
    const child = spawn('xdg-open', [folder], { stdio: 'ignore', env });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, this.limitMs);
    timer.unref();
    const run = { child, timer };
    this.running = run;
    let ended: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const finished = (): boolean => {
      ended();
      if (this.running !== run) return false;
      this.running = undefined;
      clearTimeout(timer);
      return true;
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (!finished()) return;
      const why = err.code === 'ENOENT' ? 'xdg-open was not found: install the Debian package xdg-utils' : err.message;
      this.log.warn(`xdg-open ${folder}: ${why}; the folder was not opened`);
    });
    child.once('exit', (code, signal) => {
      if (!finished() || code === 0) return;
      if (timedOut) this.log.info(`xdg-open ${folder}: still running after ${this.limitMs / 1000} s; ended it (what it opened stays)`);
      else if (code !== null) this.log.warn(`xdg-open ${folder}: exit status ${code} (${EXIT_MEANING[code] ?? 'failed'})`);
      else this.log.warn(`xdg-open ${folder}: ended by ${signal}`);
    });
    return done;
  }

  /** Ends a run under way (what it started stays). */
  stop(): void {
    const run = this.running;
    this.running = undefined;
    if (!run) return;
    clearTimeout(run.timer);
    run.child.kill('SIGKILL');
  }
}
