import type { Port } from '../../../src/transport/port.js';

/** An error response of the QEMU guest agent. */
export class QgaError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${errorClass}: ${desc}`);
  }
}

/** A QEMU guest-agent client as libvirt drives one: 0xFF + guest-sync-delimited, then requests. */
export class QgaClient {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private nextId = Math.floor(Math.random() * 1e9);

  /** A client on an open port. */
  constructor(private readonly port: Port) {
    port.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
  }

  /** Discards whatever a previous client left and waits for the agent to answer our sync id. */
  async sync(timeoutMs: number): Promise<void> {
    const id = this.nextId++;
    await this.port.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(JSON.stringify({ execute: 'guest-sync-delimited', arguments: { id } }) + '\n')]));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.line(deadline - Date.now());
      // The reply follows a 0xFF; before it may come stale replies and the 0xFF's parse error.
      const text = line.subarray(line.lastIndexOf(0xff) + 1).toString('utf8');
      try {
        if ((JSON.parse(text) as { return?: unknown }).return === id) return;
      } catch {
        // not JSON: stale bytes
      }
    }
  }

  /** Sends a command that answers nothing when it succeeds (guest-shutdown). */
  async send(command: string, args?: Record<string, unknown>): Promise<void> {
    await this.port.write(Buffer.from(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n'));
  }

  /** Runs a command and resolves with its `return` value; rejects with QgaError on an error reply. */
  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> {
    await this.send(command, args);
    const reply = JSON.parse((await this.line(timeoutMs)).toString('utf8')) as { return?: unknown; error?: { class: string; desc: string } };
    if (reply.error) throw new QgaError(reply.error.class, reply.error.desc);
    return reply.return;
  }

  private async line(timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end >= 0) {
        const line = this.buffer.subarray(0, end);
        this.buffer = this.buffer.subarray(end + 1);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply from the guest agent within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
