/** A request waiting its turn, and how to settle it. */
interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Runs requests one at a time and keeps at most one waiting per key: a newer request for a key
 * takes the place of the one waiting (which is rejected with `superseded()`), so only the latest
 * playback and the latest capture volume are applied however fast a client sends them. Each
 * request's promise settles when it ran, failed or was replaced.
 */
export class LatestQueue<K, T> {
  private readonly waiting = new Map<K, Waiting<T>>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly run: (item: T) => Promise<void>,
    private readonly superseded: () => Error,
  ) {}

  /** Requests waiting their turn (one per key at most). */
  get size(): number {
    return this.waiting.size;
  }

  /** Queues `item` under `key`, replacing the one waiting there. */
  put(key: K, item: T): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.waiting.get(key)?.reject(this.superseded());
      this.waiting.delete(key);
      this.waiting.set(key, { item, resolve, reject });
    });
    this.running ??= this.drain();
    return promise;
  }

  /** Rejects every waiting request with `err` (the one running goes on). */
  drop(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  /** Resolves once nothing runs. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    // Start on the next turn of the event loop: of a burst that arrived together only the latest runs.
    await new Promise((resolve) => setImmediate(resolve));
    for (let next = this.shift(); next; next = this.shift()) {
      try {
        await this.run(next.item);
        next.resolve();
      } catch (err) {
        next.reject(err);
      }
    }
    this.running = undefined;
  }

  private shift(): Waiting<T> | undefined {
    const first = this.waiting.entries().next();
    if (first.done) return undefined;
    this.waiting.delete(first.value[0]);
    return first.value[1];
  }
}
