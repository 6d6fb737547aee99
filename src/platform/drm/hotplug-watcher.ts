import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../log/logger.js';
import { hotplugCard, UeventReader } from './uevents.js';

/** udev's drm events after its rules ran (when Xorg and compositors have heard them too), with their properties. */
export const UDEVADM_MONITOR: readonly [string, ...string[]] = ['udevadm', 'monitor', '--udev', '--subsystem-match=drm', '--property'];
/** The first wait before the monitor is started again after it ended, doubled each time up to MAX_RESTART_MS. */
export const FIRST_RESTART_MS = 1000;
/** The longest wait between restarts. */
export const MAX_RESTART_MS = 30_000;
/** A monitor that ran this long before ending starts again after FIRST_RESTART_MS. */
export const STABLE_MS = 60_000;
/** Standard error kept for the log line when the monitor ends. */
const STDERR_KEPT = 1024;

/** How a DrmHotplugWatcher runs its monitor; every field is optional. */
export interface HotplugWatcherOptions {
  /** The monitor's argument vector (default UDEVADM_MONITOR); a test's stand-in prints the same format. */
  command?: readonly [string, ...string[]];
  /** Its environment (default this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The first restart delay (default FIRST_RESTART_MS). */
  firstRestartMs?: number;
}

/**
 * Follows the kernel's DRM hotplug events without polling: `udevadm monitor` as a child process
 * (argument vector, no shell), its output read as it comes (UeventReader: bounded lines and
 * events), each hotplug change of a card, or a card added or removed, reported by the card's name.
 * A monitor that ends or cannot start is started again with back-off (1 s doubling to 30 s, back to
 * 1 s after a minute's run); each reason is logged once. `close` kills it.
 */
export class DrmHotplugWatcher {
  private child: { process: ChildProcess; ended: Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private closed = false;
  private lastReason = '';

  constructor(
    private readonly onHotplug: (card: string) => void,
    private readonly log: Logger,
    private readonly options: HotplugWatcherOptions = {},
  ) {
    this.delay = options.firstRestartMs ?? FIRST_RESTART_MS;
  }

  /** Starts the monitor. */
  start(): void {
    if (this.closed || this.child) return;
    const [file, ...args] = this.options.command ?? UDEVADM_MONITOR;
    const started = Date.now();
    const reader = new UeventReader((event) => {
      const card = hotplugCard(event);
      if (card) this.onHotplug(card);
    });
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...(this.options.env ?? process.env) } });
    this.child = { process: child, ended: new Promise((resolve) => child.once('close', () => resolve())) };
    let stderr = '';
    let failure = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => reader.push(text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEPT)));
    child.on('error', (err) => (failure = err.message));
    child.on('close', (code, signal) => {
      reader.end();
      this.child = undefined;
      if (this.closed) return;
      const reason = failure || `${file} ended (${signal ?? `status ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
      if (Date.now() - started >= STABLE_MS) this.delay = this.options.firstRestartMs ?? FIRST_RESTART_MS;
      if (reason !== this.lastReason) this.log.warn(`resolution: DRM hotplug monitor: ${reason}; starting it again in ${this.delay} ms and with back-off`);
      this.lastReason = reason;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, this.delay);
      this.delay = Math.min(this.delay * 2, MAX_RESTART_MS);
    });
  }

  /** Stops following: kills the monitor and waits for it to end. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    if (!child) return;
    child.process.kill('SIGTERM');
    await child.ended;
  }
}
