import type { Message } from './messages.js';

/** A file transfer's DATA as spice-gtk sends it, 64 KiB, with its id and size: the size of a transfer block. */
export const TRANSFER_BLOCK = 64 * 1024 + 12;

/**
 * A bounded free list of equal-size byte blocks, reused for what arrives again and again at the
 * same size (a file transfer's 64 KiB DATA). Each such message allocated afresh is a backing
 * store outside V8's heap that only a collection frees, and one that waited in flight long enough
 * to be promoted only a full one: tens of MiB of garbage per transfer. A taken block is the
 * borrower's until it gives it back; at most `max` free blocks are kept (more given back are left
 * to the collector), so what the pool holds is bounded by `max × blockSize`.
 *
 * With `freeOversize`, a buffer larger than a block (a clipboard answer the daemon reads from its
 * helper) gets a backing store of its own that is freed at once when given back: a store only a
 * collection frees stayed resident after it was sent (1 MiB more per 1 MiB clipboard answer until
 * one came), so each answer's peak counted the garbage of the ones before.
 */
export class BlockPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly own = new WeakSet<ArrayBuffer>();
  /** The stores of oversize buffers handed out and not given back yet. */
  private readonly oversize = new WeakSet<ArrayBuffer>();

  /** A pool of blocks of `blockSize` bytes that keeps at most `max` free ones; see the class for `freeOversize`. */
  constructor(
    readonly blockSize: number,
    private readonly max: number,
    private readonly options: { freeOversize?: boolean } = {},
  ) {}

  /** Free blocks held. */
  get held(): number {
    return this.free.length;
  }

  /** A buffer of `size` bytes at the start of a block when it fits one (uninitialised), else allocated. */
  take(size: number): Buffer {
    if (size > this.blockSize && this.options.freeOversize === true) return this.takeOversize(size);
    if (size === 0 || size > this.blockSize) return Buffer.allocUnsafe(size);
    let block = this.free.pop();
    if (!block) {
      block = new ArrayBuffer(this.blockSize);
      this.own.add(block);
    }
    return Buffer.from(block, 0, size);
  }

  /**
   * Gives back the block `bytes` lies in: nothing may use any view of it afterwards. An oversize
   * buffer of a `freeOversize` pool is freed at once; bytes of no block of this pool, a block
   * already given back, or one past `max` are left alone.
   */
  give(bytes: Uint8Array): void {
    const block = bytes.buffer;
    if (block instanceof ArrayBuffer && this.oversize.has(block)) return this.freeStore(block);
    if (!(block instanceof ArrayBuffer) || !this.own.has(block) || this.free.length >= this.max || this.free.includes(block)) return;
    this.free.push(block);
  }

  /** Gives back the byte arrays among a message's fields (see give()): a message nothing will use again. */
  giveMessage(message: Message): void {
    for (const value of Object.values(message)) if (value instanceof Uint8Array) this.give(value);
  }

  /**
   * A buffer on a store of its own, resizable so that give() can free its memory at once (its
   * pages become resident only as bytes are written into it; V8 does not count it, hence the give).
   */
  private takeOversize(size: number): Buffer {
    const store = new ArrayBuffer(size, { maxByteLength: size });
    this.oversize.add(store);
    return Buffer.from(store);
  }

  /** Frees an oversize store: every view of it is empty from then on. */
  private freeStore(store: ArrayBuffer): void {
    this.oversize.delete(store);
    store.resize(0);
  }
}
