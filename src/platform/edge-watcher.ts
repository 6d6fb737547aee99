import { closeSync } from 'node:fs';
import { FdWatcher } from './fd-watcher.js';
import type { Libc } from './load-libc.js';

const EPOLLIN = 0x001;
const EPOLLOUT = 0x004;
const EPOLLRDHUP = 0x2000;
const EPOLLET = 0x80000000;

/**
 * Waits for the next wake-up of a descriptor's wait queue, however long a condition lasts: an
 * edge-triggered epoll descriptor on it, watched by the event loop's poller. A virtio-serial port
 * whose host side is absent is readable and hung up all along (level-triggered polling would spin),
 * but the kernel wakes its wait queue when the host opens or closes the port and when data
 * arrives (drivers/char/virtio_console.c, VIRTIO_CONSOLE_PORT_OPEN): each wake-up is one event
 * here. Costs nothing while nothing happens.
 */
export class EdgeWatcher {
  private readonly epfd: number;
  private readonly poller: FdWatcher;
  private waiters: (() => void)[] = [];
  private polling = false;
  private closed = false;

  /** Watches `fd` (throws EPERM for a descriptor that cannot be polled). */
  constructor(
    fd: number,
    private readonly libc: Libc,
  ) {
    this.epfd = libc.edgeEpoll(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    this.poller = new FdWatcher(this.epfd);
  }

  /** Resolves at the next wake-up, or at once if one came since the last call; also when closed. */
  next(): Promise<void> {
    if (this.closed || this.libc.drainEpoll(this.epfd) > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (!this.polling) void this.poll();
    });
  }

  /** Stops watching; waits in progress resolve. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poller.close();
    closeSync(this.epfd);
    this.wake();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (!this.closed && this.waiters.length > 0) {
        await this.poller.readable();
        if (this.closed || this.libc.drainEpoll(this.epfd) > 0) this.wake();
      }
    } catch {
      // A poll error: the waiters look at the descriptor themselves and find out.
      this.wake();
    } finally {
      this.polling = false;
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
