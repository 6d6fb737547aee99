/** A file transfer's DATA as spice-gtk sends it, 64 KiB, with its id and size: the size of a transfer block. */
export const TRANSFER_BLOCK = 64 * 1024 + 12;

/**
 * A bounded free list of equal-size byte blocks, reused for what arrives again and again at the
 * same size (a file transfer's 64 KiB DATA). Each such message allocated afresh is a backing
 * store outside V8's heap that only a collection frees, and one that waited in flight long enough
 * to be promoted only a full one: tens of MiB of garbage per transfer. A taken block is the
 * borrower's until it gives it back; at most `max` free blocks are kept (more given back are left
 * to the collector), so what the pool holds is bounded by `max × blockSize`.
 */
export class BlockPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly own = new WeakSet<ArrayBuffer>();

  /** A pool of blocks of `blockSize` bytes that keeps at most `max` free ones. */
  constructor(
    readonly blockSize: number,
    private readonly max: number,
  ) {}

  /** Free blocks held. */
  get held(): number {
    return this.free.length;
  }

  /** A buffer of `size` bytes at the start of a block when it fits one (uninitialised), else allocated. */
  take(size: number): Buffer {
    if (size === 0 || size > this.blockSize) return Buffer.allocUnsafe(size);
    let block = this.free.pop();
    if (!block) {
      block = new ArrayBuffer(this.blockSize);
      this.own.add(block);
    }
    return Buffer.from(block, 0, size);
  }

  /**
   * Gives back the block `bytes` lies in: nothing may use any view of it afterwards. Bytes of no
   * block of this pool, a block already given back, or one past `max` are left alone.
   */
  give(bytes: Uint8Array): void {
    const block = bytes.buffer;
    if (!(block instanceof ArrayBuffer) || !this.own.has(block) || this.free.length >= this.max || this.free.includes(block)) return;
    this.free.push(block);
  }
}
