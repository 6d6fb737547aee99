import { closeSync, constants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { EventSink } from './event-sink.js';
import { InputEventEncoder, nowMicros, type InputEvent } from './input-event.js';
import type { PointerDevice, TabletSize } from './pointer-device.js';

/**
 * `--fake-uinput PATH`: writes each event as a kernel `struct input_event` record to PATH (a file,
 * or a FIFO a test reads) instead of creating a uinput device. PATH is opened for appending and
 * kept across re-creations; opening a FIFO waits for its reader.
 */
export class FakePointerDevice implements PointerDevice {
  /** The sizes the device was created with, in order. */
  readonly created: TabletSize[] = [];
  private fd: number | undefined;
  private sink: EventSink | undefined;
  private readonly encoder = new InputEventEncoder();
  onBehind?: (behind: boolean) => void;

  constructor(readonly path: string) {}

  async open(size: TabletSize): Promise<void> {
    // A blocking open waits (off the event loop) for a FIFO's reader; with one there, the
    // non-blocking open the writes use succeeds.
    const waiting = await open(this.path, 'a');
    try {
      this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
    } finally {
      await waiting.close();
    }
    this.sink = new EventSink(this.fd, (behind) => this.onBehind?.(behind));
    this.created.push({ ...size });
  }

  async resize(size: TabletSize): Promise<void> {
    this.created.push({ ...size });
  }

  emit(events: readonly InputEvent[]): void {
    // One write per state, queued in order, so the records of one state are never interleaved with the next.
    this.sink?.write(this.encoder.encode(events, nowMicros()));
  }

  async close(): Promise<void> {
    this.sink?.close();
    this.sink = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
