/** The smallest block a payload spanning chunks is collected in. */
export const MIN_BLOCK_SIZE = 64 * 1024;
/** Blocks after the first hold this fraction of the bytes already collected. */
const GROWTH = 0.08;
/** A block is stretched to the declared end when that is at most this much larger. */
const STRETCH = 1.25;
/** The most memory a collector holds beyond 1.1 × the bytes it received. */
export const COLLECTOR_SLACK = STRETCH * MIN_BLOCK_SIZE;

/**
 * Collects the payload of one message that spans chunks, copying each piece once. Blocks are sized
 * by what has arrived, never by what the header declares: 64 KiB, then 8 % of the bytes collected,
 * stretched by up to a quarter to end exactly at the declared size (so a 64 KiB + 12 FILE_XFER_DATA
 * is one block), never past it. The unused end of the last block is so at most a tenth of the bytes
 * received or 80 KiB: memory held is at most 1.1 × received + 80 KiB whatever the chunk sizes, a
 * lying header reserves nothing, and nothing is copied again as a growing buffer would be; the
 * blocks are joined once, at the end, when there are several.
 */
export class PayloadCollector {
  private blocks: Buffer[] = [];
  /** Bytes written into the last block. */
  private filled = 0;
  private collected = 0;

  /** A collector of a payload declaring `declared` bytes, whose blocks come from `allocate`. */
  constructor(
    private readonly declared: number,
    private readonly allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
  ) {}

  /** Bytes of memory the blocks take (received bytes plus the unused end of the last block). */
  get held(): number {
    return this.blocks.reduce((n, b) => n + b.length, 0);
  }

  /** Copies a piece of the payload in: bytes `start`…`end` of `piece` (all of it by default). */
  add(piece: Buffer, start = 0, end = piece.length): void {
    let off = start;
    while (off < end) {
      let block = this.blocks[this.blocks.length - 1];
      if (!block || this.filled === block.length) {
        const rest = this.declared - this.collected;
        const want = Math.max(MIN_BLOCK_SIZE, Math.floor(this.collected * GROWTH));
        block = this.allocate(rest <= want * STRETCH ? rest : want);
        this.blocks.push(block);
        this.filled = 0;
      }
      const n = piece.copy(block, this.filled, off, end);
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
