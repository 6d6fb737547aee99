import type { ChildProcess } from 'node:child_process';

/** How long a helper may take to end after SIGTERM before it is killed, when its session went. */
const STOP_GRACE_MS = 3000;
/**
 * The same when the daemon itself stops: its whole stop is promised within 2 s. A helper's own
 * stop takes a few milliseconds; one that is not done by then is killed.
 */
const HURRIED_GRACE_MS = 500;
/** How long a killed helper is waited for: one that SIGKILL has not ended by then is stuck in the kernel. */
const KILL_WAIT_MS = 1000;
/** The same when the daemon itself stops (the helper then ends with its SIGKILL once the kernel lets it go). */
const HURRIED_KILL_WAIT_MS = 250;

/** Whether a helper process has ended. */
function ended(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Ends a helper process: SIGTERM (it stops its modules), SIGKILL if it does not end in time.
 * {@link done} resolves once it ended, or {@link KILL_WAIT_MS} after SIGKILL: a helper stuck in
 * the kernel on the user's behalf (a write to the user's own FUSE mount that never answers) does
 * not end even then, and must hold up neither the next session's helper nor the daemon's own stop.
 * {@link hurry} shortens both waits when the daemon itself stops.
 */
export class HelperEnd {
  /** Resolves once the helper ended, or was let go (see above). */
  readonly done: Promise<void>;
  private resolve: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the wait under way ends: the grace, then the wait after SIGKILL. */
  private deadline = 0;
  private killed = false;
  private hurried = false;

  constructor(private readonly child: ChildProcess) {
    this.done = new Promise<void>((resolve) => (this.resolve = resolve));
    if (ended(child)) {
      this.resolve();
      return;
    }
    child.once('exit', () => this.finish());
    this.wait(STOP_GRACE_MS);
    child.kill('SIGTERM');
    // A helper its user stopped (SIGSTOP) would take SIGTERM only once continued: continue it, as
    // systemd does when it stops a unit, so that it ends now and by its own stop, not by SIGKILL.
    // (A user who stops it again at once, or a helper that ignores SIGTERM, gets SIGKILL.)
    child.kill('SIGCONT');
  }

  /** The daemon itself stops: what is left of the waits is cut to {@link HURRIED_GRACE_MS} and {@link HURRIED_KILL_WAIT_MS}. */
  hurry(): void {
    if (this.hurried || ended(this.child)) return;
    this.hurried = true;
    const left = this.killed ? HURRIED_KILL_WAIT_MS : HURRIED_GRACE_MS;
    if (Date.now() + left < this.deadline) this.wait(left);
  }

  private wait(ms: number): void {
    clearTimeout(this.timer);
    this.deadline = Date.now() + ms;
    this.timer = setTimeout(() => (this.killed ? this.finish() : this.kill()), ms);
  }

  private kill(): void {
    this.killed = true;
    this.child.kill('SIGKILL');
    this.wait(this.hurried ? HURRIED_KILL_WAIT_MS : KILL_WAIT_MS);
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.resolve();
  }
}
