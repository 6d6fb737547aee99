import type { ActionSet } from '../actions/actions-d.js';
import type { Logger } from '../log/logger.js';
import type { ParseEvent } from '../qga/index.js';
import { RequestIntake } from './qga-intake.js';
import type { Port } from '../transport/port.js';
import { PortSupervisor } from '../transport/supervisor.js';

/** How long stopping waits for the request in progress (a hook or program may hang) before closing anyway. */
const STOP_GRACE_MS = 500;

/** What answers the guest agent's requests (the admin commands under actions.d's policy). */
export interface QgaCommands {
  /** The bytes that answer one parse event, in parts made as they are written, in order; undefined for a command that succeeds silently. */
  answer(event: ParseEvent): Promise<Iterable<Buffer> | undefined>;
  /** Applies a reloaded action set. */
  reload(actions: ActionSet): void;
  /** Releases what requests left behind (frozen filesystems, open files). */
  close(): Promise<void>;
}

/** What a QGA daemon needs: its port, its logger and the commands that answer requests. */
export interface QgaDaemonConfig {
  /** The QEMU guest-agent port. */
  port: Port;
  /** The daemon's logger. */
  log: Logger;
  /** Answers each request. */
  commands: QgaCommands;
}

/**
 * The running QEMU guest agent: a supervised port, its bounded request queue and one worker.
 * Bytes go to the JSON stream parser, requests run one at a time in arrival order, each answer
 * written before the next request runs; a host that sends faster than it reads answers is slowed
 * down (RequestIntake). Bad input is answered and serving goes on; the port is kept open (reopened
 * with back-off after errors). Stopping drops what is queued and waits at most STOP_GRACE_MS for
 * the request in progress.
 */
export class QgaDaemon {
  readonly supervisor: PortSupervisor;
  private readonly intake: RequestIntake;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly config: QgaDaemonConfig) {
    const { port, log } = config;
    this.supervisor = new PortSupervisor(port, log);
    this.intake = new RequestIntake(port, log, () => this.supervisor.healthy());
    this.supervisor.on('data', (chunk) => {
      this.intake.push(chunk);
      this.kick();
    });
    this.supervisor.on('down', () => this.intake.reset());
  }

  /** Opens the port (reopening it with back-off while it fails). */
  start(): void {
    void this.supervisor.start();
  }

  /** Applies a new action set: the commands it enables answer from the next request on. */
  reload(actions: ActionSet): void {
    this.config.commands.reload(actions);
  }

  /** Drops queued requests, lets the one in progress finish (within a grace), releases what requests left, and closes the port. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.intake.clear();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((resolve) => (grace = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(grace);
    await this.config.commands.close();
    await this.supervisor.stop();
  }

  /** Starts the worker unless it runs, is stopping, or has nothing to do. */
  private kick(): void {
    if (this.running || this.stopping || this.intake.length === 0) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  /** Answers queued requests in order, each answer written before the next request runs. */
  private async drain(): Promise<void> {
    const { port, log, commands } = this.config;
    for (let event = this.intake.next(); event && !this.stopping; event = this.intake.next()) {
      const answer = await commands.answer(event);
      // One part at a time, each made once the last was taken: a large answer (an echoed id, a
      // file's base64) is never held whole.
      for (const part of answer ?? []) {
        if (!port.isOpen || this.stopping) break;
        const written = await port.write(part).then(
          () => true,
          (err: Error) => (log.warn(`${port.name}: ${err.message}`), false),
        );
        if (!written) break;
      }
    }
  }
}
