import type { Port } from '../../../src/transport/port.js';

/** What a wait looks for: a pattern, from line `since` on, or from the last line taken (taking). */
interface Query {
  pattern: RegExp;
  since?: number;
}

interface Waiter extends Query {
  resolve: (match: RegExpExecArray) => void;
}

/** Text lines arriving on a port (the guest probe's reports), matched in order of arrival. */
export class LineChannel {
  /** Every line received so far. */
  readonly lines: string[] = [];
  private consumed = 0;
  private partial = '';
  private waiters: Waiter[] = [];

  /** Reads lines from `port`; `context` adds what helps when a wait times out (the console). */
  constructor(
    port: Port,
    private readonly context: () => string = () => '',
  ) {
    port.on('data', (chunk) => this.receive(chunk.toString('utf8')));
  }

  /**
   * The first line after the last one taken that matches `pattern`; it and the lines before it
   * are taken. Rejects after `timeoutMs`, with the lines seen and the context.
   */
  next(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return this.wait({ pattern }, timeoutMs);
  }

  /** The first line from line `since` on that matches `pattern`; takes nothing, so any order works. */
  find(pattern: RegExp, since: number, timeoutMs: number): Promise<RegExpExecArray> {
    return this.wait({ pattern, since }, timeoutMs);
  }

  private wait(query: Query, timeoutMs: number): Promise<RegExpExecArray> {
    const found = this.match(query);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        ...query,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no line matching ${query.pattern} within ${timeoutMs / 1000} s; lines:\n${this.lines.slice(-40).join('\n')}\n${this.context()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private match(query: Query): RegExpExecArray | undefined {
    for (let i = query.since ?? this.consumed; i < this.lines.length; i++) {
      const m = query.pattern.exec(this.lines[i] ?? '');
      if (m) {
        if (query.since === undefined) this.consumed = i + 1;
        return m;
      }
    }
    return undefined;
  }

  private receive(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.map((l) => l.replace(/\r$/, '')));
    for (const waiter of [...this.waiters]) {
      const m = this.match(waiter);
      if (m) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(m);
      }
    }
  }
}
