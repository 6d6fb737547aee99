import type { Port } from '../../../src/transport/port.js';

/** An error reply of QEMU's monitor. */
export class QmpError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${errorClass}: ${desc}`);
  }
}

type Reply = {
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
  QMP?: unknown;
};

/** An event QEMU's monitor sent, stamped by QEMU with the wall clock. */
export interface QmpEvent {
  name: string;
  data: Record<string, unknown>;
  /** When QEMU sent it, in milliseconds since the epoch (comparable with Date.now()). */
  atMs: number;
}

/** A QEMU monitor (QMP) client: one command at a time, events kept apart in arrival order. */
export class QmpClient {
  /** Every event received so far. */
  readonly events: QmpEvent[] = [];
  private partial = '';
  private replies: Reply[] = [];
  private wake: (() => void) | undefined;

  /** A client on an open port to QEMU's `-qmp` socket. */
  constructor(private readonly port: Port) {
    port.on('data', (chunk) => {
      const lines = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const reply = JSON.parse(line) as Reply;
        if (!reply.event) this.replies.push(reply);
        else this.events.push({ name: reply.event, data: reply.data ?? {}, atMs: (reply.timestamp?.seconds ?? 0) * 1000 + (reply.timestamp?.microseconds ?? 0) / 1000 });
      }
      this.wake?.();
    });
  }

  /** Reads the greeting and leaves capabilities negotiation mode. */
  async start(): Promise<void> {
    await this.reply();
    await this.execute('qmp_capabilities');
  }

  /** Runs a command; resolves with its `return`, rejects with QmpError. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    await this.port.write(Buffer.from(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n'));
    const reply = await this.reply();
    if (reply.error) throw new QmpError(reply.error.class, reply.error.desc);
    return reply.return;
  }

  /** The first event `name` whose data matches `data`, waiting up to `timeoutMs` for it. */
  async event(name: string, data: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<QmpEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.name === name && Object.entries(data).every(([k, v]) => e.data[k] === v));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`QEMU sent no ${name} ${JSON.stringify(data)} within ${timeoutMs / 1000} s; events: ${this.events.map((e) => e.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async reply(): Promise<Reply> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const reply = this.replies.shift();
      if (reply) return reply;
      if (Date.now() > deadline) throw new Error('QEMU monitor did not answer within 30 s');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
