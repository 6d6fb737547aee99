import { open, type FileHandle } from 'node:fs/promises';
import { writeSync } from 'node:fs';
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
  private file: FileHandle | undefined;
  private readonly encoder = new InputEventEncoder();

  constructor(readonly path: string) {}

  async open(size: TabletSize): Promise<void> {
    this.file = await open(this.path, 'a');
    this.created.push({ ...size });
  }

  async resize(size: TabletSize): Promise<void> {
    this.created.push({ ...size });
  }

  emit(events: readonly InputEvent[]): void {
    if (!this.file) return;
    // Synchronous, so the records of one state are never interleaved with the next.
    writeSync(this.file.fd, this.encoder.encode(events, nowMicros()));
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }
}
