import { JsonFloat, type JsonValue } from './json.js';
import { isNoncharacter } from './utf8.js';

/** Strings that need no escaping: printable ASCII without `"` and `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Readonly<Record<number, string>> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

const HEX = Buffer.from('0123456789ABCDEF');

/** How many `\uXXXX` QEMU writes for a code point: none (printable ASCII, short escapes), one, or a surrogate pair. */
function escapedUnits(cp: number): number {
  if (SHORT_ESCAPES[cp] !== undefined || (cp >= 0x20 && cp < 0x7f)) return 0;
  return cp > 0xffff && !isNoncharacter(cp) ? 2 : 1;
}

/** Writes `\uXXXX` at `at`; answers the offset after it. */
function writeU4(out: Buffer, at: number, unit: number): number {
  out[at] = 0x5c;
  out[at + 1] = 0x75;
  for (let shift = 12, i = at + 2; shift >= 0; shift -= 4, i++) out[i] = HEX[(unit >> shift) & 0xf] as number;
  return at + 6;
}

/**
 * A string as QEMU writes it: pure ASCII, `\uXXXX` (upper-case) for the rest, U+FFFD for what is not
 * valid. An escaped string is written into one buffer sized first: appended piece by piece, a
 * string of millions of characters became a rope of millions of pieces, some 70 bytes each.
 */
export function encodeString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : escapedString(s).toString('latin1');
}

/** An escaped string's bytes, quotes included, in one buffer of the exact size. */
function escapedString(s: string): Buffer {
  let size = 2;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const units = escapedUnits(cp);
    size += units > 0 ? 6 * units : (SHORT_ESCAPES[cp]?.length ?? 1);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x22;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const short = SHORT_ESCAPES[cp];
    const units = escapedUnits(cp);
    if (short !== undefined) at += out.write(short, at, 'latin1');
    else if (units === 0) out[at++] = cp;
    else if ((cp >= 0xd800 && cp <= 0xdfff) || isNoncharacter(cp)) at = writeU4(out, at, 0xfffd);
    else if (units === 2) at = writeU4(out, writeU4(out, at, 0xd800 + ((cp - 0x10000) >> 10)), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else at = writeU4(out, at, cp);
  }
  out[at] = 0x22;
  return out;
}

/** A double as C's `%.17g` prints it (QEMU's format for floating-point numbers). */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa = '', exponent = '0'] = x.toExponential(16).split('e');
  const exp = Number(exponent);
  const trim = (digits: string): string => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  if (exp < -4 || exp >= 17) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(16 - exp));
}

/** The bucket of QEMU's QDict hash table (512 buckets) that holds a key: it decides member order. */
function bucketOf(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  let v = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) v = (v + ((bytes[i] as number) << ((i * 5) % 24))) >>> 0;
  return ((Math.imul(1103515243, v) + 12345) >>> 0) % 512;
}

/** An object's members in the order QEMU prints a QDict: by hash bucket, the later-added first within one. */
export function qdictOrder(members: ReadonlyMap<string, JsonValue>): [string, JsonValue][] {
  return [...members]
    .map((entry, i) => ({ entry, i, bucket: bucketOf(entry[0]) }))
    .sort((a, b) => a.bucket - b.bucket || b.i - a.i)
    .map((m) => m.entry);
}

/** A string that needs no escaping, quoted, in one buffer. */
function quotedPlain(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length + 2);
  out[0] = 0x22;
  out.write(s, 1, 'latin1');
  out[s.length + 1] = 0x22;
  return out;
}

/** Escaped strings longer than this stay the buffer they were written into (not copied again). */
const KEPT_STRING = 4096;
/** Text pieces gathered before they are joined into one buffer (a rope of many pieces is costly). */
const PIECES_PER_PART = 4096;

/**
 * An answer's bytes as they are made, in parts: short text gathered and joined, a long escaped
 * string kept as the one buffer it was written into, so an answer is never copied whole.
 */
export class AnswerBytes {
  private readonly parts: Buffer[] = [];
  private pieces: string[] = [];

  /** Appends ASCII text. */
  add(text: string): void {
    this.pieces.push(text);
    if (this.pieces.length >= PIECES_PER_PART) this.join();
  }

  /** Appends a string as QEMU writes it. */
  addString(s: string): void {
    const plain = PLAIN.test(s);
    if (plain && s.length <= KEPT_STRING) return this.add(`"${s}"`);
    const bytes = plain ? quotedPlain(s) : escapedString(s);
    if (bytes.length <= KEPT_STRING) return this.add(bytes.toString('latin1'));
    this.join();
    this.parts.push(bytes);
  }

  /** Appends a value as qemu-ga writes it (see encodeJson). */
  addJson(value: JsonValue): void {
    if (value === null) return this.add('null');
    switch (typeof value) {
      case 'boolean':
      case 'number':
      case 'bigint':
        return this.add(String(value));
      case 'string':
        return this.addString(value);
    }
    if (value instanceof JsonFloat) return this.add(formatDouble(value.value));
    if (Array.isArray(value)) {
      this.add('[');
      value.forEach((item, i) => {
        if (i > 0) this.add(', ');
        this.addJson(item);
      });
      return this.add(']');
    }
    this.add('{');
    qdictOrder(value).forEach(([key, member], i) => {
      if (i > 0) this.add(', ');
      this.addString(key);
      this.add(': ');
      this.addJson(member);
    });
    this.add('}');
  }

  /** The parts, in order. */
  done(): Buffer[] {
    this.join();
    return this.parts;
  }

  private join(): void {
    if (this.pieces.length === 0) return;
    this.parts.push(Buffer.from(this.pieces.join(''), 'latin1'));
    this.pieces = [];
  }
}

/**
 * A value as qemu-ga writes it: `": "` and `", "` separators, no other whitespace, ASCII only,
 * object members in QEMU's hash-table order (not significant to hosts, but byte-identical).
 */
export function encodeJson(value: JsonValue): string {
  const bytes = new AnswerBytes();
  bytes.addJson(value);
  return Buffer.concat(bytes.done()).toString('latin1');
}
