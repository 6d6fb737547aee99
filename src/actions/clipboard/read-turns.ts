/**
 * Reads of the guest's selections, one at a time per selection (a backend reads a selection once
 * at a time): the read under way and those waiting for their turn. Waiting reads are let go at
 * once when their client leaves, so only reads under way outlast a client.
 */
export class ReadTurns<K> {
  /** Selections with a read under way. */
  private readonly running = new Set<K>();
  /** Reads waiting for their turn, by selection: each is told whether it goes. */
  private readonly waiting = new Map<K, Array<(go: boolean) => void>>();

  /** Reads under way and waiting, over all selections. */
  get size(): number {
    let n = this.running.size;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  /** Resolves true when it is this read's turn (end it with done), false when it was let go. */
  turn(key: K): Promise<boolean> {
    if (!this.running.has(key)) {
      this.running.add(key);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(key);
      if (queue) queue.push(resolve);
      else this.waiting.set(key, [resolve]);
    });
  }

  /** Ends the read under way on this selection: the next waiting one goes. */
  done(key: K): void {
    const next = this.waiting.get(key)?.shift();
    if (next) return next(true);
    this.waiting.delete(key);
    this.running.delete(key);
  }

  /** Lets every waiting read go (their client left); reads under way run on. */
  letGoWaiting(): void {
    const queues = [...this.waiting.values()];
    this.waiting.clear();
    for (const queue of queues) for (const resolve of queue) resolve(false);
  }
}
