import { spawn, type ChildProcess } from 'node:child_process';
import type { Monitor } from '../platform/display/monitor.js';
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import type { Message } from '../protocol/index.js';
import { Backoff } from '../transport/backoff.js';
import { isFromHelper, type ToHelper } from './ipc.js';
import type { Desktop } from './source.js';

/** How to start `vdagent session`: the program and its arguments up to the role name. */
export interface HelperCommand {
  execPath: string;
  args: string[];
}

/** Events of a session helper. */
export interface HelperEvents {
  /** The helper listens: send it its modules. */
  hello: [];
  /** The modules that run in it. */
  running: [modules: string[]];
  /** A module's message to the client. */
  message: [module: string, message: Message];
  /** The desktop layout the session applied (undefined: none known). */
  layout: [monitors: Monitor[] | undefined];
  /** The helper process ended (it is restarted unless stopped). */
  exit: [];
}

/** A helper that stayed up this long had a working start: its next crash restarts it quickly again. */
const STABLE_MS = 10_000;
/** How long a helper may take to end after SIGTERM before it is killed. */
const STOP_GRACE_MS = 3000;
/** Variables of the daemon's environment every helper keeps. */
const KEPT = ['PATH', 'LANG', 'JOURNAL_STREAM'];

/**
 * One desktop's `vdagent session` process. The daemon spawns it itself, as root, over an inherited
 * IPC channel (a socketpair: nothing on disk another process could connect to); the child drops to
 * the session's user, groups included, before it reads a message. A crashed helper is started again
 * with back-off; `stop()` ends it for good.
 */
export class SessionHelper extends EventEmitter<HelperEvents> {
  private child: ChildProcess | undefined;
  private greeted = false;
  private stopped = false;
  private restart: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly backoff = new Backoff({ initialMs: 100, maxMs: 10_000 });

  constructor(
    private readonly desktop: Desktop,
    private readonly command: HelperCommand,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Starts the helper (and keeps it running). */
  start(): void {
    this.spawn().catch((err: unknown) => this.log.error(`session ${this.desktop.id}: helper not started: ${String(err)}`));
  }

  /** Sends a message once the helper listens; dropped otherwise (the state is resent on hello). */
  send(message: ToHelper): void {
    if (this.greeted && this.child?.connected) this.child.send(message);
  }

  /** Ends the helper: SIGTERM (it stops its modules), SIGKILL if it does not end in time. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private async spawn(): Promise<void> {
    const args = [...this.command.args];
    const id = this.desktop.identity;
    if (id && process.getuid?.() === 0) args.push('--uid', String(id.uid), '--gid', String(id.gid));
    else if (id && id.uid !== process.getuid?.()) {
      this.log.error(`session ${this.desktop.id}: the daemon does not run as root and cannot start a helper as uid ${id.uid}`);
      return;
    }
    if (this.desktop.leader !== undefined) args.push('--leader', String(this.desktop.leader));
    if (this.log.level === 'debug') args.push('--debug');
    const env: Record<string, string | undefined> = {};
    for (const k of KEPT) if (process.env[k] !== undefined) env[k] = process.env[k];
    Object.assign(env, await this.desktop.environment());
    if (this.stopped) return;
    const child = spawn(this.command.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env, cwd: '/' });
    this.child = child;
    this.greeted = false;
    this.startedAt = Date.now();
    this.log.info(`session ${this.desktop.id}: helper ${child.pid} started${id ? ` as ${id.uid}:${id.gid}` : ''}`);
    child.on('message', (m: unknown) => this.received(m));
    child.on('error', (err) => this.log.error(`session ${this.desktop.id}: helper: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  private received(m: unknown): void {
    if (!isFromHelper(m)) {
      this.log.warn(`session ${this.desktop.id}: malformed message from the helper; ignored`);
      return;
    }
    if (m.kind === 'hello') {
      this.greeted = true;
      this.emit('hello');
    } else if (m.kind === 'running') this.emit('running', m.modules);
    else if (m.kind === 'layout') this.emit('layout', m.monitors ?? undefined);
    else this.emit('message', m.module, m.message);
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined;
    this.greeted = false;
    this.emit('exit');
    if (this.stopped) return;
    if (Date.now() - this.startedAt >= STABLE_MS) this.backoff.reset();
    const delay = this.backoff.next();
    this.log.warn(`session ${this.desktop.id}: helper ended (${signal ?? `exit code ${code}`}); restarting in ${delay} ms`);
    this.restart = setTimeout(() => this.start(), delay);
  }
}
