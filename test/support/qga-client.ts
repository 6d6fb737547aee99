import type { EventEmitter } from 'node:events';

/** What the client needs of a byte channel to an agent: a Port, or a socket wrapped to look like one. */
export interface ByteChannel extends EventEmitter {
  write(data: Buffer): Promise<void>;
}

/** One answer line of the agent, newline removed; `delimited` when a 0xFF byte came first. */
export interface AnswerLine {
  text: string;
  delimited: boolean;
}

/**
 * The host side of the QEMU guest-agent protocol, for tests: writes raw bytes or requests and
 * reads the agent's answers line by line (a 0xFF byte before a line is noted, not kept).
 */
export class QgaClient {
  private partial: Buffer[] = [];
  private readonly lines: AnswerLine[] = [];
  private waiter: (() => void) | undefined;
  private nextId = 1000;

  constructor(private readonly channel: ByteChannel) {
    channel.on('data', (chunk: Buffer) => {
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a)) {
        let line = Buffer.concat([...this.partial, chunk.subarray(0, nl)]);
        this.partial = [];
        chunk = chunk.subarray(nl + 1);
        const delimited = line[0] === 0xff;
        if (delimited) line = line.subarray(1);
        this.lines.push({ text: line.toString('latin1'), delimited });
      }
      if (chunk.length > 0) this.partial.push(chunk);
      this.waiter?.();
    });
  }

  /** Writes bytes as they are. */
  send(data: string | Buffer): Promise<void> {
    return this.channel.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** The next answer line. */
  next(timeoutMs = 10_000): Promise<AnswerLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = () => {
        const line = this.lines.shift();
        if (!line) return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(line);
      };
      this.waiter();
    });
  }

  /** Whether an answer line is waiting or arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    try {
      const line = await this.next(ms);
      this.lines.unshift(line);
      return false;
    } catch {
      return true;
    }
  }

  /** Sends one request (text as is, or an object as JSON) and returns the text of its answer line. */
  async call(request: string | object, timeoutMs?: number): Promise<string> {
    await this.send(typeof request === 'string' ? request : JSON.stringify(request));
    return (await this.next(timeoutMs)).text;
  }

  /** Sends a request and parses its answer (numbers beyond 2^53 lose precision; compare text for those). */
  async json(request: string | object, timeoutMs?: number): Promise<{ return?: unknown; error?: { class: string; desc: string }; id?: unknown }> {
    return JSON.parse(await this.call(request, timeoutMs)) as { return?: unknown; error?: { class: string; desc: string } };
  }

  /**
   * Synchronises like a host: 0xFF, then guest-sync-delimited with a fresh id, discarding every
   * answer until the delimited one with that id (repeated until the agent answers).
   */
  async sync(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const id = this.nextId++;
      await this.send(`\xff{"execute":"guest-sync-delimited","arguments":{"id":${id}}}\n`);
      const until = Date.now() + 500;
      try {
        while (Date.now() < until) {
          const line = await this.next(Math.max(1, until - Date.now()));
          if (line.delimited && line.text === `{"return": ${id}}`) return;
        }
      } catch {
        // no answer yet: the agent may still be opening its port
      }
    }
    throw new Error('the agent did not synchronise');
  }
}
