import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { Backoff } from './backoff.js';
import type { Port } from './port.js';

/** Events of a supervised port. */
export interface SupervisorEvents {
  /** The port is open (first time or again). */
  open: [];
  /** Bytes received. */
  data: [chunk: Buffer];
  /** The port went down; a reopen is scheduled. */
  down: [err: Error | undefined];
}

/**
 * Keeps a port open: opens it, and after an open failure, an I/O error or a requested resync
 * reopens it with capped exponential back-off. A port that served (carried a valid message) and
 * then closed by itself is reopened at once: a host that hung up and came back, or a re-plugged
 * device whose node is already there, hears the agent without waiting out a delay. While it waits
 * to reopen a port opened by path, inotify on the node's folder ends the wait when the node (or its
 * link) appears or changes. Uses a timer and that watch only while waiting to reopen.
 */
export class PortSupervisor extends EventEmitter<SupervisorEvents> {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastFailure = '';
  /** Whether an open is under way. */
  private opening = false;
  /** The last open attempt, which stop() waits for. */
  private attempt: Promise<void> = Promise.resolve();
  /** Whether the port carried a valid message since it last opened. */
  private served = false;
  /** The watch on the device's folder while waiting to reopen. */
  private watcher: FSWatcher | undefined;

  constructor(
    readonly port: Port,
    private readonly log: Logger,
    private readonly backoff = new Backoff({ initialMs: 100, maxMs: 5000, factor: 2 }),
  ) {
    super();
    port.on('data', (chunk) => this.emit('data', chunk));
    port.on('close', (err) => {
      this.log.warn(`${port.name}: closed${err ? `: ${err.message}` : ''}`);
      this.emit('down', err);
      if (this.served) this.reopenNow();
      else this.schedule();
    });
  }

  /** Opens the port now (retrying in the background on failure); resolves once this first try is over. */
  start(): Promise<void> {
    this.stopped = false;
    return this.tryOpen();
  }

  /**
   * The stream is lost. The port stays open for the back-off delay while its input is read and
   * discarded by the caller (so bytes in flight are not left for the next open), then it is closed
   * and reopened at once.
   */
  resync(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoff.next();
    this.log.debug(`${this.port.name}: draining for ${delay} ms, then reopening`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reopen();
    }, delay);
  }

  private async reopen(): Promise<void> {
    await this.port.close().catch(() => undefined);
    this.emit('down', undefined);
    await this.tryOpen();
  }

  /** The port carried a valid message: the next failure starts from the shortest delay. */
  healthy(): void {
    this.served = true;
    this.backoff.reset();
  }

  /**
   * Stops reopening and closes the port, also one still opening: an open that completes after the
   * stop closes the port at once, or its descriptor would keep the process alive (a daemon told to
   * stop while its guest-agent port was opening ran on until systemd killed it).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeless();
    await this.attempt;
    if (this.port.isOpen) await this.port.close().catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoff.next();
    this.log.debug(`${this.port.name}: reopening in ${delay} ms`);
    this.timer = setTimeout(() => this.reopenNow(), delay);
    this.watchDevice();
  }

  /** Ends any wait and tries to open now. */
  private reopenNow(): void {
    this.wakeless();
    void this.tryOpen();
  }

  /** Ends the wait on the timer and on the folder. */
  private wakeless(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Wakes the wait when the device's folder changes (a node or link made, replaced, removed). */
  private watchDevice(): void {
    const path = this.port.devicePath;
    if (!path || this.watcher) return;
    try {
      this.watcher = watch(dirname(path), { persistent: false }, () => this.reopenNow());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No folder to watch (yet): the timer alone wakes the wait.
    }
  }

  private tryOpen(): Promise<void> {
    if (this.stopped || this.opening) return Promise.resolve();
    this.attempt = this.openOnce();
    return this.attempt;
  }

  /** One open of the port; never rejects. */
  private async openOnce(): Promise<void> {
    this.served = false;
    this.opening = true;
    try {
      await this.port.open();
    } catch (err) {
      if (this.stopped) return;
      const text = err instanceof Error ? err.message : String(err);
      if (text !== this.lastFailure) this.log.warn(`${this.port.name}: cannot open: ${text}; retrying`);
      this.lastFailure = text;
      this.schedule();
      return;
    } finally {
      this.opening = false;
    }
    if (this.stopped) return; // stop() closes it once this attempt is over
    this.lastFailure = '';
    this.log.info(`${this.port.name}: open`);
    this.emit('open');
  }
}
