import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import { loadLibc } from '../platform/load-libc.js';
import { readableByAll } from '../platform/process/readable-by-all.js';
import type { Monitor } from '../platform/display/monitor.js';
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import type { Message } from '../protocol/index.js';
import { Backoff } from '../transport/backoff.js';
import type { BlockPool } from '../protocol/block-pool.js';
import { channelOnDescriptor, type FrameChannel, HELPER_ENVELOPE, MAX_FRAME } from './channel.js';
import { HELPER_WINDOW, InFlightWindow } from './in-flight.js';
import { isFromHelper, type ToHelper } from './ipc.js';
import { estimateSize } from './message-size.js';
import { HelperEnd } from './helper-end.js';
import { relayOutput } from './output-relay.js';
import type { Desktop } from './source.js';
import { checkHelperVersion, DAEMON_VERSION_ENV, formatVersion, type HelperVersionError, type ProgramVersion } from './version.js';

/** How to start `vdagent session`: the program and its arguments up to the role name. */
export interface HelperCommand {
  execPath: string;
  args: string[];
  /** The daemon's version, read when it started: a helper that reports another one is not used. */
  version: ProgramVersion;
}

/** How a helper of another version is started again (from the installed files) before the daemon gives up. */
export interface VersionRestarts {
  /** How many times in a row a refused helper is started again. */
  attempts: number;
  /** The first delay, doubled for each further attempt up to `maxMs`. */
  initialMs: number;
  maxMs: number;
}

/**
 * During a package upgrade the new files are unpacked before the package's postinst restarts the
 * daemon: a helper started meanwhile is the new version. Restarts spread over about half a minute
 * cover that window (the new daemon then starts its own helper); a daemon left running on files of
 * another version (no restart after an upgrade) gives up rather than start helpers for ever.
 */
export const VERSION_RESTARTS: VersionRestarts = { attempts: 5, initialMs: 1000, maxMs: 16_000 };

/** Events of a session helper. */
export interface HelperEvents {
  /** The helper listens, and is the daemon's version: send it its modules. */
  hello: [];
  /** The modules that run in it. */
  running: [modules: string[]];
  /** A module's message to the client. */
  message: [module: string, message: Message];
  /** The desktop layout the session applied (undefined: none known). */
  layout: [monitors: Monitor[] | undefined];
  /** A module closed what request `id` held. */
  closed: [module: string, id: number];
  /** A module took the daemon's reset (see ClientChanges). */
  reset: [module: string];
  /** A module can serve only these capability bits now. */
  offer: [module: string, capabilities: number[]];
  /** The helper process ended (it is restarted unless stopped). */
  exit: [];
  /** The helper reported another version than the daemon's: it is stopped unheard, and started again. */
  refused: [err: HelperVersionError];
  /** Helpers of another version were refused {@link VersionRestarts.attempts} times in a row: no more are started. */
  abandoned: [err: HelperVersionError];
  /** The helper is behind (true: stop reading the port) or caught up (false). */
  behind: [behind: boolean];
}

/** A helper that stayed up this long had a working start: its next crash restarts it quickly again. */
export const STABLE_MS = 10_000;
/** How long the output of a helper that ended is still read: what it wrote last, a crash's trace included. */
const OUTPUT_GRACE_MS = 1000;
/**
 * How long a helper may stay behind without progress (see {@link SessionHelper}) before it is killed
 * (SIGKILL also ends a stopped process). The port is paused meanwhile, so every client feature,
 * the daemon's own mouse included, waits: a stuck helper must not hold them longer than this. A
 * slow helper that still makes progress (a file written to a slow disk) acknowledges and stays, for
 * at most {@link DRAIN_MS} in a row.
 */
const STALL_MS = 12_000;
/**
 * How long a helper may stay behind in a row, progress or not, before it is killed as stalled: a
 * helper that finishes a message every few seconds (its user's, trickling on purpose) would
 * otherwise hold the port, and every client feature with it, paused for as long as it likes. An
 * honest helper drains the window of file data (from its high mark and one port read, at most
 * 1 MiB + 64 KiB, to its low mark, 256 KiB) in this time at 28 KiB/s (about 230 kbit/s): only a
 * disk or network share slower than that loses its transfer, as a stalled helper does.
 */
const DRAIN_MS = 30_000;
/**
 * Node flags of the helper: V8's young generation grows to 16 MiB per semi-space by default, and
 * under a message flood that garbage alone is ~50 MB of RSS; 2 MiB keeps the helper within its
 * memory bound (the daemon's launcher passes the same flag).
 */
export const NODE_FLAGS = ['--max-semi-space-size=2'];
/** util-linux's setpriv, which starts the helper as the session's user with the user's groups. */
const SETPRIV = '/usr/bin/setpriv';
/** systemd-run, which starts the helper in a scope of the user's slice when the daemon runs as a systemd service. */
const SYSTEMD_RUN = '/usr/bin/systemd-run';
/** Variables of the daemon's environment every helper keeps. */
const KEPT = ['PATH', 'LANG', 'JOURNAL_STREAM'];

/**
 * Whether the daemon is a systemd service's main process (started by PID 1, which sets
 * INVOCATION_ID; not merely a process that inherited it) on a systemd system with systemd-run.
 */
function underSystemd(): boolean {
  return process.ppid === 1 && process.env.INVOCATION_ID !== undefined && existsSync('/run/systemd/system') && existsSync(SYSTEMD_RUN);
}

/**
 * One desktop's `vdagent session` process. The daemon spawns it itself, as root, over an inherited
 * channel (a socketpair: nothing on disk another process could connect to); the child drops to
 * the session's user, groups included, before it reads a message. A crashed helper is started again
 * with back-off; `stop()` ends it for good. A helper whose hello names another version than the
 * daemon's (version.ts) is never used: it is ended unheard and started again, at most
 * {@link VERSION_RESTARTS} times in a row.
 *
 * Back-pressure: what was sent but not yet acknowledged (the helper acks once a module finished a
 * message) is bounded by {@link HELPER_WINDOW}; when it is full, or the socket holds more than its
 * mark, the helper is `behind` and the daemon stops reading the port. A helper behind without
 * progress for {@link STALL_MS}, or behind for {@link DRAIN_MS} in a row whatever its progress, is
 * killed and restarted, and the client hears what it lost: progress is reading what the socket
 * holds, or (once it holds nothing) acknowledging what was read.
 */
export class SessionHelper extends EventEmitter<HelperEvents> {
  private child: ChildProcess | undefined;
  private channel: FrameChannel | undefined;
  private greeted = false;
  private readonly window = new InFlightWindow(HELPER_WINDOW, () => this.flow());
  /** Messages the socket buffered past its mark and has not written yet. */
  private backlog = 0;
  private behind = false;
  private stall: NodeJS.Timeout | undefined;
  /** Ends a helper that stayed behind for {@link DRAIN_MS} in a row. */
  private drain: NodeJS.Timeout | undefined;
  private reported = false;
  private stopped = false;
  /** The ending of the current helper process, once it is being ended. */
  private ending: HelperEnd | undefined;
  private restart: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly backoff = new Backoff({ initialMs: 100, maxMs: 10_000 });
  /** The helper process refused for its version, and why. */
  private refusal: { child: ChildProcess; err: HelperVersionError } | undefined;
  /** Helpers refused in a row for their version. */
  private refusals = 0;
  private readonly versionBackoff: Backoff;

  constructor(
    private readonly desktop: Desktop,
    private readonly command: HelperCommand,
    private readonly log: Logger,
    private readonly blocks?: BlockPool,
    private readonly versionRestarts: VersionRestarts = VERSION_RESTARTS,
  ) {
    super();
    this.versionBackoff = new Backoff({ initialMs: versionRestarts.initialMs, maxMs: versionRestarts.maxMs });
  }

  /** Starts the helper (and keeps it running). */
  start(): void {
    this.spawn().catch((err: unknown) => {
      // Tried again with back-off, as a crash is: what failed (the service's task limit, which the
      // user's processes under the helper count toward) may be free again soon.
      if (this.stopped) return;
      const delay = this.backoff.next();
      this.log.error(`session ${this.desktop.id}: helper not started: ${err instanceof Error ? err.message : String(err)}; trying again in ${delay} ms`);
      this.restart = setTimeout(() => this.start(), delay);
    });
  }

  /** Sends a message once the helper listens; dropped otherwise (the state is resent on hello): false then. */
  send(message: ToHelper): boolean {
    const channel = this.channel;
    if (!this.greeted || !channel?.open) return false;
    this.window.sent(estimateSize(message));
    let buffered = false;
    buffered = !channel.send(message, () => {
      if (!buffered || channel !== this.channel) return;
      this.backlog--;
      if (this.behind) this.armStall(); // progress: the helper reads, slowly
      this.flow();
    });
    if (buffered) {
      this.backlog++;
      this.flow();
    }
    return true;
  }

  /** Ends the helper: SIGTERM (it stops its modules), SIGKILL if it does not end in time (see HelperEnd). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restart);
    const child = this.child;
    if (!child) return;
    await this.end(child).done;
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Stuck in the kernel (see HelperEnd): the daemon keeps nothing of it, nor is kept running by it.
    this.channel?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.unref();
  }

  /** The daemon itself stops: a helper being ended gets the short grace (see HelperEnd.hurry). */
  hurry(): void {
    this.ending?.hurry();
  }

  /** Ends the helper process (once, however often asked). */
  private end(child: ChildProcess): HelperEnd {
    this.ending ??= new HelperEnd(child);
    return this.ending;
  }

  private async spawn(): Promise<void> {
    const args = [...NODE_FLAGS, ...this.command.args];
    const id = this.desktop.identity;
    let program = this.command.execPath;
    if (id && process.getuid?.() === 0) {
      // Where every user can read the code (the package), setpriv starts the helper as the user,
      // with the user's groups. Elsewhere (a clone only root can read) the helper loads its code
      // as root and drops to the user itself, which Node refuses where libuv may use io_uring
      // (its CVE-2024-22017 guard, as on Debian 13).
      const script = this.command.args[0];
      if (script !== undefined && readableByAll(script) && existsSync(SETPRIV)) {
        args.unshift('--reuid', String(id.uid), '--regid', String(id.gid), '--init-groups', '--', program);
        program = SETPRIV;
      }
      args.push('--uid', String(id.uid), '--gid', String(id.gid));
      if (underSystemd()) {
        // A scope of the user's slice, made before the helper runs: the helper and whatever the
        // user makes it start count against the user's limits, not the service's (TasksMax,
        // MemoryMax, which guest-exec and the daemon need), and end with the user's processes.
        args.unshift('--scope', '--quiet', '--collect', `--slice=user-${id.uid}.slice`, `--description=vdagent session helper of ${this.desktop.id}`, '--', program);
        program = SYSTEMD_RUN;
      }
    } else if (id && id.uid !== process.getuid?.()) {
      this.log.error(`session ${this.desktop.id}: the daemon does not run as root and cannot start a helper as uid ${id.uid}`);
      return;
    }
    if (this.desktop.leader !== undefined) args.push('--leader', String(this.desktop.leader));
    if (this.log.debugEnabled) args.push('--debug');
    const env: Record<string, string | undefined> = {};
    for (const k of KEPT) if (process.env[k] !== undefined) env[k] = process.env[k];
    Object.assign(env, await this.desktop.environment());
    // The helper checks the daemon's version too: it does not serve a daemon of another version.
    env[DAEMON_VERSION_ENV] = formatVersion(this.command.version);
    const libc = await loadLibc();
    if (this.stopped) return;
    // Not Node's IPC: it buffers a frame of any declared size from the (untrusted) helper. A
    // socketpair made here, not stdio 'pipe': this end is read into one reused buffer, where a
    // pipe's socket allocates 64 KiB per read (16 MiB of garbage for a 16 MiB clipboard).
    const [mine, theirs] = libc.socketPair();
    let child: ChildProcess;
    try {
      // The child's descriptor CHANNEL_FD (3): its place in stdio.
      child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe', theirs], env, cwd: '/' });
    } catch (err) {
      closeSync(mine);
      throw err;
    } finally {
      closeSync(theirs);
    }
    if (child.pid === undefined) {
      // Not started (EAGAIN at the task limit, ENOENT): Node says so by 'error' alone, never 'exit'.
      closeSync(mine);
      throw await new Promise<Error>((resolve) => child.once('error', resolve));
    }
    const channel = channelOnDescriptor(mine, MAX_FRAME, this.blocks, HELPER_ENVELOPE);
    this.child = child;
    this.channel = channel;
    this.greeted = false;
    this.startedAt = Date.now();
    this.log.info(`session ${this.desktop.id}: helper ${child.pid} started${id ? ` as ${id.uid}:${id.gid}` : ''}`);
    // Not inherited: the daemon's output is its journal stream, which the user's process must not flood.
    const output = [child.stdout && { from: child.stdout, to: process.stdout }, child.stderr && { from: child.stderr, to: process.stderr }];
    relayOutput(output.filter((o) => o !== null), this.log, `session ${this.desktop.id}: helper ${child.pid}`, this.log.debugEnabled);
    channel.on('message', (m: unknown) => this.received(child, m));
    channel.on('malformed', (err) => this.malformed(child, err));
    child.on('error', (err) => this.log.error(`session ${this.desktop.id}: helper: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  /** A broken frame: an oversized one ends the channel, so the helper is ended (and restarted). */
  private malformed(child: ChildProcess, err: NodeJS.ErrnoException): void {
    if (this.child !== child) return;
    const fatal = err.code === 'EMSGSIZE';
    this.reportOnce(`session ${this.desktop.id}: helper sent a malformed frame (${err.message})${fatal ? '; killing it' : '; dropped'}`);
    if (fatal) child.kill('SIGKILL');
  }

  private received(child: ChildProcess, m: unknown): void {
    if (this.child !== child || this.refusal?.child === child) return;
    if (!isFromHelper(m)) {
      this.reportOnce(`session ${this.desktop.id}: malformed message from the helper; ignored`);
      return;
    }
    if (m.kind === 'hello') return this.greet(child, m.version);
    // Nothing else counts before the hello of a helper of the daemon's version.
    if (!this.greeted) return;
    if (m.kind === 'ack') {
      this.window.acked(m.count);
      // Progress, when the helper has read all we sent: the helper is slow, not stuck. While the
      // socket holds messages it has not read, only reading them is progress: an ack costs nothing
      // to send, and a helper that acks what it never reads would hold the port paused for ever.
      if (this.behind && this.backlog === 0) this.armStall();
      this.flow();
    } else if (m.kind === 'running') this.emit('running', m.modules);
    else if (m.kind === 'layout') this.emit('layout', m.monitors ?? undefined);
    else if (m.kind === 'closed') this.emit('closed', m.module, m.id);
    else if (m.kind === 'reset') this.emit('reset', m.module);
    else if (m.kind === 'offer') this.emit('offer', m.module, m.capabilities);
    // Nobody listens to a helper being ended: its message's bytes go back to the pool.
    else if (!this.emit('message', m.module, m.message)) this.blocks?.giveMessage(m.message);
  }

  /** A hello: the helper listens, and is used if it is the daemon's version; otherwise it is stopped unheard. */
  private greet(child: ChildProcess, version: unknown): void {
    const err = checkHelperVersion(this.command.version, version);
    if (!err) {
      this.refusals = 0;
      this.versionBackoff.reset();
      this.greeted = true;
      this.emit('hello');
      return;
    }
    // Not a word is sent on its channel: it may not read our messages as we mean them.
    this.refusal = { child, err };
    this.greeted = false;
    this.log.warn(`session ${this.desktop.id}: helper ${child.pid} is another version (${err.message}); stopping it unheard`);
    this.emit('refused', err);
    this.channel?.close();
    this.end(child);
  }

  /** Recomputes whether the helper is behind; says so when it changed. */
  private flow(): void {
    const behind = this.window.full || this.backlog > 0;
    if (behind === this.behind) return;
    this.behind = behind;
    clearTimeout(this.drain);
    if (behind) {
      this.armStall();
      this.drain = setTimeout(() => this.killBehind(`held the port paused for ${DRAIN_MS / 1000} s`), DRAIN_MS);
    } else clearTimeout(this.stall);
    this.emit('behind', behind);
  }

  private armStall(): void {
    clearTimeout(this.stall);
    this.stall = setTimeout(() => this.killBehind(`acknowledged nothing for ${STALL_MS / 1000} s`), STALL_MS);
  }

  /** Kills a helper that is still behind (SIGKILL also ends a stopped process): it is restarted, and the client hears what it lost. */
  private killBehind(why: string): void {
    const child = this.child;
    if (!child || !this.behind) return;
    this.log.warn(`session ${this.desktop.id}: helper ${child.pid} ${why} with ${this.window.items} messages (${this.window.pendingBytes} bytes) in flight; killing it`);
    child.kill('SIGKILL');
  }

  /** Logs a helper's misbehaviour once per helper process (a hostile helper cannot flood the log). */
  private reportOnce(text: string): void {
    if (this.reported) return;
    this.reported = true;
    this.log.warn(text);
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ending = undefined;
    // Processes the helper left may hold its ends open: its descriptors here are closed all the
    // same (its last lines are read for a while first), or each helper ended would leave three.
    this.channel?.destroy();
    this.channel = undefined;
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, OUTPUT_GRACE_MS).unref();
    this.reported = false;
    this.backlog = 0;
    this.window.clear();
    this.flow();
    this.greeted = false;
    const refusal = this.refusal?.child === child ? this.refusal : undefined;
    this.refusal = undefined;
    this.emit('exit');
    if (this.stopped) return;
    if (refusal) return this.again(refusal.err);
    if (Date.now() - this.startedAt >= STABLE_MS) this.backoff.reset();
    const delay = this.backoff.next();
    this.log.warn(`session ${this.desktop.id}: helper ended (${signal ?? `exit code ${code}`}); restarting in ${delay} ms`);
    this.restart = setTimeout(() => this.start(), delay);
  }

  /** After a helper of another version ended: starts one again from the installed files, a bounded number of times. */
  private again(err: HelperVersionError): void {
    this.refusals++;
    const { attempts } = this.versionRestarts;
    if (this.refusals > attempts) {
      this.log.error(
        `session ${this.desktop.id}: ${this.refusals} helpers in a row were another version (${err.code}); no more are started: the installed files are not the running daemon's, restart vdagent.service`,
      );
      this.emit('abandoned', err);
      return;
    }
    const delay = this.versionBackoff.next();
    this.log.warn(`session ${this.desktop.id}: starting the helper again from the installed files in ${delay} ms (${this.refusals} of ${attempts})`);
    this.restart = setTimeout(() => this.start(), delay);
  }
}
