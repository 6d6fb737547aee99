import { closeSync, constants, openSync, readSync } from 'node:fs';
import { Poller } from '@serialport/bindings-cpp/dist/poller.js';
import { ABS_X, EV_ABS, EV_SYN, INPUT_EVENT_SIZE } from '../src/platform/uinput/input-event.js';

/** The poller's readable flag (serialport's EVENTS.UV_READABLE). */
const UV_READABLE = 1;

/**
 * Reads the fake tablet's FIFO and reports, for each SYN_REPORT, the ABS_X it closed and when it
 * arrived (performance.now(), the monotonic clock the sender stamps with). It is woken by epoll
 * and reads with read(2) right in that callback into one buffer: no thread-pool hop, and nothing
 * allocated per read, so what it measures is the daemon rather than the reader.
 */
export class EventReader {
  private readonly fd: number;
  private readonly poller: Poller;
  private readonly buf = Buffer.alloc(256 * 1024);
  private filled = 0;
  private x = -1;
  private listener: ((x: number, at: number) => void) | undefined;

  constructor(fifo: string) {
    // Read-write, so the FIFO never reports end-of-file while the daemon (re)opens it.
    this.fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    this.poller = new Poller(this.fd);
    this.poller.on('readable', this.onReadable);
    this.poller.poller.poll(UV_READABLE);
  }

  /** Calls `listener` for each SYN_REPORT from now on. */
  onSync(listener: (x: number, at: number) => void): void {
    this.listener = listener;
  }

  /** Stops reading and closes the FIFO. */
  close(): void {
    this.poller.off('readable', this.onReadable);
    this.poller.poller.stop();
    closeSync(this.fd);
  }

  private readonly onReadable = (err: Error | null): void => {
    if (err) return;
    let n = 0;
    try {
      n = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, null);
    } catch {
      // EAGAIN: woken without data.
    }
    const at = performance.now();
    this.poller.poller.poll(UV_READABLE);
    if (n > 0) this.take(this.filled + n, at);
  };

  private take(end: number, at: number): void {
    const buf = this.buf;
    let o = 0;
    for (; o + INPUT_EVENT_SIZE <= end; o += INPUT_EVENT_SIZE) {
      const type = buf.readUInt16LE(o + 16);
      if (type === EV_ABS && buf.readUInt16LE(o + 18) === ABS_X) this.x = buf.readInt32LE(o + 20);
      else if (type === EV_SYN) this.listener?.(this.x, at);
    }
    buf.copyWithin(0, o, end);
    this.filled = end - o;
  }
}
