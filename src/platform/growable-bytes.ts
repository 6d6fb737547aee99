/**
 * Bytes appended in pieces (an INCR transfer's) into one resizable ArrayBuffer: address space is
 * reserved up to `max`, memory only as the buffer grows (in place, never copied). A plain buffer
 * reserved at the limit (128 MiB for a clipboard) was counted whole as external memory, so each
 * transfer began with a full garbage collection (5–10 ms, at times ~90 ms). V8 does not count a
 * resizable buffer's memory at all, so no collection ever comes for it: whoever is done with bytes
 * taken from here gives them back with {@link releaseGrown}, which frees them at once. Where the
 * address space cannot be reserved the pieces are kept apart and joined at the end.
 */
export class GrowableBytes {
  private readonly space: ArrayBuffer | undefined;
  private readonly pieces: Buffer[] = [];
  /** Bytes appended. */
  length = 0;

  /** A store for at most `max` bytes. */
  constructor(max: number) {
    let space: ArrayBuffer | undefined;
    try {
      space = new ArrayBuffer(0, { maxByteLength: max });
    } catch {
      space = undefined;
    }
    this.space = space;
  }

  /** Appends a copy of `bytes` (which may be foreign memory valid during the call only). */
  add(bytes: Uint8Array): void {
    if (this.space) {
      this.space.resize(this.length + bytes.length);
      new Uint8Array(this.space, this.length, bytes.length).set(bytes);
    } else this.pieces.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  /** Everything appended, as one buffer (a view of the store: not copied). */
  take(): Buffer {
    return this.space ? Buffer.from(this.space, 0, this.length) : Buffer.concat(this.pieces, this.length);
  }
}

/**
 * Frees at once the memory of bytes taken from a {@link GrowableBytes} (every view of them is empty
 * from then on); any other bytes are left alone, to the collector.
 */
export function releaseGrown(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && buffer.resizable) buffer.resize(0);
}
