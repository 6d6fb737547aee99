/**
 * The bytes of a token that spans chunks, appended into one buffer that doubles as it fills, never
 * past `max` (the lexer's budget for the token). Kept as one buffer per chunk instead, a token
 * that comes a byte per read cost some 100 bytes of heap per byte (a Buffer object each).
 */
export class TokenBytes {
  private store = Buffer.alloc(0);
  /** Bytes appended. */
  length = 0;

  constructor(private readonly max: number) {}

  /** Appends a copy of `bytes` (the caller keeps the total within `max`). */
  add(bytes: Uint8Array): void {
    const need = this.length + bytes.length;
    if (need > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(this.max, Math.max(2 * this.store.length, 256))));
      this.store.copy(grown, 0, 0, this.length);
      this.store = grown;
    }
    this.store.set(bytes, this.length);
    this.length = need;
  }

  /** The bytes appended (a view of the store, valid until the next add). */
  bytes(): Buffer {
    return this.store.subarray(0, this.length);
  }
}
