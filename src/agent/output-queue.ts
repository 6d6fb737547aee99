import type { BlockPool } from '../protocol/block-pool.js';

/** Default bound on bytes waiting for the port (a host that stops reading cannot grow memory). */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/**
 * Default bound on buffers waiting (a flood of small messages costs more than their bytes): 8192
 * chunks of a large message, which is two buffers per chunk (its header, a view of its data).
 */
export const DEFAULT_MAX_QUEUED_CHUNKS = 16384;

/** Writes buffers in order as one write (Port.writev); resolves once the port took all of them. */
export type WriteChunks = (chunks: readonly Buffer[]) => Promise<void>;

/** Most buffers handed to one write: what one writev(2) takes (Linux's IOV_MAX). */
const MAX_BATCH = 1024;

/**
 * A message's wire buffers (toWire: its chunks, or their headers and views of its data) waiting
 * for the port, written in order, everything waiting (up to 1024 buffers) as one write, so a
 * message goes out in one writev(2) as far as the port takes it. Bounded in bytes and in buffers: a
 * message that would pass a bound is refused, unless the queue is empty (so one large clipboard
 * answer fits). Half-way to either bound it reports itself behind, so its owner stops reading
 * what makes answers (the host then blocks, as with a C agent blocked in write) before anything
 * must be refused; it is caught up again at an eighth of both.
 *
 * A queued message's buffers are the queue's: with `blocks`, each goes back to it once the port is
 * done with it, written or not (a write that failed), and once dropped unwritten (the port closed,
 * the client gone). What is dropped while a write is under way goes back at once, unless it shares a
 * store with a buffer of that write (the port may still read it): then once the write settled. A
 * write that never ends (a host that stopped reading) so holds no more than its own stores.
 */
export class OutputQueue {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private pumping = false;
  /** Chunks handed to the write in progress (the first ones of `chunks`; none once cleared). */
  private writing = 0;
  /** The buffers of the write under way, if any. */
  private batch: readonly Buffer[] | undefined;
  /** The first chunk of each message: where waiting output may be cut without breaking a message. */
  private readonly heads = new WeakSet<Buffer>();
  private generation = 0;
  private behind = false;
  /** Chunks dropped during a write that share a store with its buffers: given back once it settled. */
  private readonly dropped: Buffer[] = [];

  /** A queue writing with `write`, within its bounds, telling `onBehind`; what it is done with goes back to `blocks`. */
  constructor(
    private readonly write: WriteChunks,
    private readonly maxBytes = DEFAULT_MAX_QUEUED_BYTES,
    private readonly maxChunks = DEFAULT_MAX_QUEUED_CHUNKS,
    private readonly onBehind: (behind: boolean) => void = () => undefined,
    private readonly blocks?: BlockPool,
  ) {}

  /** Chunks waiting. */
  get pendingChunks(): number {
    return this.chunks.length;
  }

  /** Bytes waiting. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Queues the chunks of one message; false when refused for the bound. */
  enqueue(chunks: readonly Buffer[]): boolean {
    const size = chunks.reduce((n, c) => n + c.length, 0);
    const busy = this.chunks.length > 0;
    if (busy && (this.bytes + size > this.maxBytes || this.chunks.length + chunks.length > this.maxChunks)) return false;
    if (chunks[0]) this.heads.add(chunks[0]);
    this.chunks.push(...chunks);
    this.bytes += size;
    this.flow();
    if (!this.pumping) void this.pump();
    return true;
  }

  /** Drops everything waiting (the port closed). */
  clear(): void {
    // The chunks being written are the write's: given back once it settled.
    this.drop(this.chunks.splice(this.writing));
    this.chunks.length = 0;
    this.writing = 0;
    this.bytes = 0;
    this.generation++;
    this.flow();
  }

  /**
   * Drops the messages not begun yet (their client is gone): what the port has been given, and
   * the rest of a message it has been given part of, still go out, so the stream stays whole.
   */
  dropWaiting(): void {
    let keep = this.writing;
    while (keep < this.chunks.length && !this.heads.has(this.chunks[keep] as Buffer)) keep++;
    const dropped = this.chunks.splice(keep);
    for (const c of dropped) this.bytes -= c.length;
    this.drop(dropped);
    this.flow();
  }

  /** Gives dropped chunks back: at once, or those sharing a store with the write under way once it settled. */
  private drop(chunks: readonly Buffer[]): void {
    if (!this.blocks) return;
    const busy = this.batch && new Set(this.batch.map((c) => c.buffer));
    for (const c of chunks) {
      if (busy?.has(c.buffer)) this.dropped.push(c);
      else this.blocks.give(c);
    }
  }

  private giveBack(chunks: readonly Buffer[]): void {
    if (this.blocks) for (const c of chunks) this.blocks.give(c);
  }

  /** Reports a crossing of the high or low mark. */
  private flow(): void {
    const behind = this.behind
      ? this.bytes > this.maxBytes / 8 || this.chunks.length > this.maxChunks / 8
      : this.bytes >= this.maxBytes / 2 || this.chunks.length >= this.maxChunks / 2;
    if (behind === this.behind) return;
    this.behind = behind;
    this.onBehind(behind);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const gen = this.generation;
    try {
      while (this.chunks.length > 0 && gen === this.generation) {
        const batch = this.chunks.slice(0, MAX_BATCH);
        // Counted before the write: a written buffer may be freed (emptied) by then.
        const size = batch.reduce((n, c) => n + c.length, 0);
        this.writing = batch.length;
        this.batch = batch;
        try {
          await this.write(batch);
        } finally {
          // Written or failed, the port is done with the batch and with what was dropped meanwhile.
          this.writing = 0;
          this.batch = undefined;
          if (gen === this.generation) {
            this.chunks.splice(0, batch.length);
            this.bytes -= size;
          }
          this.giveBack(batch);
          this.giveBack(this.dropped.splice(0));
        }
        this.flow();
      }
    } catch {
      // The port failed: its owner reopens it and announces again; stale output is dropped.
      this.clear();
    } finally {
      this.writing = 0;
      this.pumping = false;
      if (this.chunks.length > 0) void this.pump();
    }
  }
}
