import { Capability, END_CAP } from './constants.js';

/** An immutable set of capability bits, encoded as little-endian u32 words (spec §6.2). */
export class CapabilitySet {
  private readonly words: readonly number[];

  private constructor(words: readonly number[]) {
    let end = words.length;
    while (end > 0 && words[end - 1] === 0) end--;
    this.words = words.slice(0, end);
  }

  /** The empty set (what we assume of a client before its announcement). */
  static readonly empty = new CapabilitySet([]);

  /** A set holding exactly the given bits. */
  static of(...bits: readonly number[]): CapabilitySet {
    const words: number[] = [];
    for (const bit of bits) {
      const w = bit >>> 5;
      while (words.length <= w) words.push(0);
      words[w] = ((words[w] ?? 0) | (1 << (bit & 31))) >>> 0;
    }
    return new CapabilitySet(words);
  }

  /** A set from raw u32 words as received (any count, including zero). */
  static fromWords(words: ArrayLike<number>): CapabilitySet {
    return new CapabilitySet(Array.from(words, (w) => w >>> 0));
  }

  /** Whether bit `bit` is set; bits beyond the received words are not set. */
  has(bit: number): boolean {
    const word = this.words[bit >>> 5];
    return word !== undefined && (word & (1 << (bit & 31))) !== 0;
  }

  /** The union of this set and another. */
  union(other: CapabilitySet): CapabilitySet {
    const n = Math.max(this.words.length, other.words.length);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(((this.words[i] ?? 0) | (other.words[i] ?? 0)) >>> 0);
    return new CapabilitySet(out);
  }

  /** This set without the given bits. */
  without(...bits: readonly number[]): CapabilitySet {
    const out = [...this.words];
    for (const bit of bits) {
      const w = bit >>> 5;
      const word = out[w];
      if (word !== undefined) out[w] = (word & ~(1 << (bit & 31))) >>> 0;
    }
    return new CapabilitySet(out);
  }

  /** Whether both sets hold the same bits. */
  equals(other: CapabilitySet): boolean {
    return this.words.length === other.words.length && this.words.every((w, i) => w === other.words[i]);
  }

  /** The words to put on the wire: at least `minWords` (1 today, VD_AGENT_CAPS_SIZE). */
  toWords(minWords = 1): number[] {
    const out = [...this.words];
    while (out.length < minWords) out.push(0);
    return out;
  }

  /** The set bits in ascending order. */
  bits(): number[] {
    const out: number[] = [];
    this.words.forEach((word, w) => {
      for (let b = 0; b < 32; b++) if (word & (1 << b)) out.push(w * 32 + b);
    });
    return out;
  }

  /** Human-readable form, e.g. `0x00038de7 [MouseState,MonitorsConfig,…]`. */
  toString(): string {
    const hex = this.toWords().map((w) => '0x' + w.toString(16).padStart(8, '0')).join(' ');
    const names = this.bits().map((b) => (b < END_CAP ? Capability[b] : `bit${b}`));
    return `${hex} [${names.join(',')}]`;
  }
}
