/** The smallest block a payload spanning chunks is collected in. */
export const MIN_BLOCK_SIZE = 64 * 1024;
/** Blocks after the first hold this fraction of the bytes already collected. */
const GROWTH = 0.1;

/**
 * Collects the payload of one message that spans chunks, copying each piece once. Blocks are sized
 * by what has arrived, never by what the header declares: at least 64 KiB, then a tenth of the bytes
 * collected, and never past the declared end. So the memory held is at most 1.1 × bytes received
 * + 64 KiB whatever the chunk sizes, a lying header reserves nothing, and there is no repeated
 * copying as a single growing buffer would need; the blocks are joined once, at the end.
 */
export class PayloadCollector {
  private blocks: Buffer[] = [];
  /** Bytes written into the last block. */
  private filled = 0;
  private collected = 0;

  constructor(private readonly declared: number) {}

  /** Bytes of memory the blocks take (received bytes plus the unused end of the last block). */
  get held(): number {
    return this.blocks.reduce((n, b) => n + b.length, 0);
  }

  /** Copies a piece of the payload in. */
  add(piece: Buffer): void {
    let off = 0;
    while (off < piece.length) {
      let block = this.blocks[this.blocks.length - 1];
      if (!block || this.filled === block.length) {
        const size = Math.min(this.declared - this.collected, Math.max(MIN_BLOCK_SIZE, Math.floor(this.collected * GROWTH)));
        block = Buffer.allocUnsafe(size);
        this.blocks.push(block);
        this.filled = 0;
      }
      const n = piece.copy(block, this.filled, off);
      this.filled += n;
      this.collected += n;
      off += n;
    }
  }

  /** The whole payload once every declared byte arrived; the collector is spent afterwards. */
  take(): Buffer {
    const blocks = this.blocks;
    this.blocks = [];
    return blocks.length === 1 ? (blocks[0] as Buffer) : Buffer.concat(blocks, this.declared);
  }
}
