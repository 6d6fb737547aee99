import { ErrorCode, VdagentError } from './errors.js';

/** Asserts a payload size rule, throwing BadPayloadSize with the type's name. */
export function expectSize(name: string, actual: number, rule: 'exactly' | 'at least', n: number): void {
  if (rule === 'exactly' ? actual !== n : actual < n) {
    throw new VdagentError(ErrorCode.BadPayloadSize, `${name}: payload of ${actual} bytes, expected ${rule} ${n}`);
  }
}

/** A little-endian writer into a buffer of known size. */
export class Writer {
  readonly buf: Buffer;
  private off = 0;

  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }

  /** Appends a u8. */
  u8(v: number): this {
    this.buf.writeUInt8(v, this.off);
    this.off += 1;
    return this;
  }

  /** Appends a u16. */
  u16(v: number): this {
    this.buf.writeUInt16LE(v, this.off);
    this.off += 2;
    return this;
  }

  /** Appends a u32. */
  u32(v: number): this {
    this.buf.writeUInt32LE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }

  /** Appends an i32. */
  i32(v: number): this {
    this.buf.writeInt32LE(v, this.off);
    this.off += 4;
    return this;
  }

  /** Appends a u64. */
  u64(v: bigint): this {
    this.buf.writeBigUInt64LE(v, this.off);
    this.off += 8;
    return this;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }
}
