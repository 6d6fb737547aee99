import { JsonBytes, JsonFloat, type JsonObject, type JsonValue } from './json.js';
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
  return PLAIN.test(s) ? `"${s}"` : `"${escapedText(s)}"`;
}

/** How many bytes QEMU's escaping of a string takes, without quotes. */
function escapedSize(s: string): number {
  let size = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const units = escapedUnits(cp);
    size += units > 0 ? 6 * units : (SHORT_ESCAPES[cp]?.length ?? 1);
  }
  return size;
}

/** Writes a string as QEMU escapes it, without quotes, at the start of `out` (escapedSize long); answers the bytes written. */
function escapeInto(s: string, out: Buffer): number {
  let at = 0;
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
  return at;
}

/** A short string as QEMU escapes it, without quotes, as text. */
function escapedText(s: string): string {
  const out = Buffer.allocUnsafe(escapedSize(s));
  escapeInto(s, out);
  return out.toString('latin1');
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

/** UTF-16 units of a long string escaped per part of the answer (at most 384 KiB of bytes). */
const STRING_WINDOW = 64 * 1024;
/** Bytes base64-encoded per part of the answer (a multiple of 3: 256 KiB of text). */
const BASE64_WINDOW = 192 * 1024;
/** Bytes of short text gathered into one part before it is written. */
const PART_SIZE = 64 * 1024;

/**
 * A long string's bytes, escaped window by window into one buffer that each window reuses (so an
 * answer leaves no garbage outside the heap behind it); a window never ends between a surrogate
 * pair's halves.
 */
function* stringParts(s: string, plain: boolean): Generator<Buffer, void, undefined> {
  const out = Buffer.allocUnsafe(6 * STRING_WINDOW);
  for (let at = 0; at < s.length; ) {
    let end = Math.min(at + STRING_WINDOW, s.length);
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
    const window = s.slice(at, end);
    yield out.subarray(0, plain ? out.write(window, 'latin1') : escapeInto(window, out));
    at = end;
  }
}

/** Bytes as base64 text, window by window into one buffer that each window reuses, carrying up to two bytes across the chunks' seams. */
function* base64Parts(chunks: readonly Buffer[]): Generator<Buffer, void, undefined> {
  const out = Buffer.allocUnsafe((BASE64_WINDOW / 3) * 4);
  let carry: Buffer = Buffer.alloc(0);
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(chunk.length - at, BASE64_WINDOW - carry.length);
      const piece = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(at, at + take)]) : chunk.subarray(at, at + take);
      at += take;
      const whole = piece.length - (piece.length % 3);
      if (whole > 0) yield out.subarray(0, out.write(piece.toString('base64', 0, whole), 'latin1'));
      carry = Buffer.from(piece.subarray(whole));
    }
  }
  if (carry.length > 0) yield Buffer.from(carry.toString('base64'), 'latin1');
}

/** A string's pieces as QEMU writes it: a short one as one text, a long one window by window. */
function* stringPieces(s: string): Generator<string | Buffer, void, undefined> {
  const plain = PLAIN.test(s);
  if (s.length <= STRING_WINDOW) return yield plain ? `"${s}"` : `"${escapedText(s)}"`;
  yield '"';
  yield* stringParts(s, plain);
  yield '"';
}

/** A container being written: its values (and an object's keys, in QDict order), the next one, its closing bracket. */
interface OpenContainer {
  values: readonly JsonValue[];
  keys: readonly string[] | undefined;
  next: number;
  close: string;
}

/** A value that holds no other, except a long string and JsonBytes: its text. */
function leafText(value: Exclude<JsonValue, JsonValue[] | JsonObject | JsonBytes>): string {
  if (value === null) return 'null';
  if (value instanceof JsonFloat) return formatDouble(value.value);
  return typeof value === 'string' ? encodeString(value) : String(value);
}

/** A value that holds no other: its pieces. */
function* leafPieces(value: Exclude<JsonValue, JsonValue[] | JsonObject>): Generator<string | Buffer, void, undefined> {
  if (typeof value === 'string') return yield* stringPieces(value);
  if (!(value instanceof JsonBytes)) return yield leafText(value);
  const chunks = value.chunks;
  if (chunks.reduce((size, chunk) => size + chunk.length, 0) <= BASE64_WINDOW) return yield `"${Buffer.concat(chunks).toString('base64')}"`;
  yield '"';
  yield* base64Parts(chunks);
  yield '"';
}

/** Containers deeper than this are left to jsonPieces, whose walk needs no call stack. */
const SMALL_DEPTH = 32;

/**
 * A value's text as qemu-ga writes it (see encodeJson), made in one go, or undefined once it would
 * pass `room` characters, SMALL_DEPTH levels or hold JsonBytes (make those part by part with
 * jsonPieces). Nearly every answer is small: made through generators, a few hundred thousand
 * one-line errors took four times the CPU, and the daemon's heap grew by a third more.
 */
export function smallJson(value: JsonValue, room: number): string | undefined {
  const out: string[] = [];
  let left = room;
  const add = (text: string): boolean => {
    left -= text.length;
    out.push(text);
    return left >= 0;
  };
  const walk = (v: JsonValue, depth: number): boolean => {
    if (Array.isArray(v)) {
      if (depth >= SMALL_DEPTH || v.length > left || !add('[')) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !add(', ')) || !walk(v[i] as JsonValue, depth + 1)) return false;
      return add(']');
    }
    if (v instanceof Map) {
      if (depth >= SMALL_DEPTH || 4 * v.size > left || !add('{')) return false;
      let first = true;
      for (const [key, member] of qdictOrder(v)) {
        if ((!first && !add(', ')) || key.length > left || !add(encodeString(key)) || !add(': ') || !walk(member, depth + 1)) return false;
        first = false;
      }
      return add('}');
    }
    if (v instanceof JsonBytes || (typeof v === 'string' && v.length > left)) return false;
    return add(leafText(v));
  };
  return walk(value, 0) ? out.join('') : undefined;
}

/**
 * A value's pieces as qemu-ga writes it (see encodeJson), made one at a time as they are asked
 * for: ASCII text, or the bytes of one window of a long string or of base64. Containers are walked
 * with an explicit stack: generators nested as deep as the value (1023 levels in an echoed id)
 * passed each piece up through every level, and a 2 MB id of a million items so nested took over
 * two minutes of CPU to answer.
 */
export function* jsonPieces(root: JsonValue): Generator<string | Buffer, void, undefined> {
  const stack: OpenContainer[] = [];
  let value = root;
  for (;;) {
    if (Array.isArray(value)) {
      yield '[';
      stack.push({ values: value, keys: undefined, next: 0, close: ']' });
    } else if (value instanceof Map) {
      yield '{';
      const members = qdictOrder(value);
      stack.push({ values: members.map(([, member]) => member), keys: members.map(([key]) => key), next: 0, close: '}' });
    } else {
      yield* leafPieces(value);
    }
    // The next value to write, once the containers it ends are closed.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) return;
      if (top.next < top.values.length) {
        if (top.next > 0) yield ', ';
        if (top.keys) {
          yield* stringPieces(top.keys[top.next] as string);
          yield ': ';
        }
        value = top.values[top.next++] as JsonValue;
        break;
      }
      stack.pop();
      yield top.close;
    }
  }
}

/**
 * An answer's parts from its pieces, made as the writer asks for the next: short text joined up
 * to PART_SIZE, windows passed on as they are. A part is valid until the next is asked for (a
 * window's buffer is reused), so the writer writes each before it asks again. An answer is never
 * held whole: a 48 MiB guest-file-read costs its bytes and one window, not its base64 twice over.
 */
export function* answerParts(pieces: Iterable<string | Buffer>): Generator<Buffer, void, undefined> {
  let texts: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      if (size > 0) yield Buffer.from(texts.join(''), 'latin1');
      texts = [];
      size = 0;
      yield piece;
      continue;
    }
    texts.push(piece);
    size += piece.length;
    if (size < PART_SIZE) continue;
    yield Buffer.from(texts.join(''), 'latin1');
    texts = [];
    size = 0;
  }
  if (size > 0) yield Buffer.from(texts.join(''), 'latin1');
}

/** An answer's parts joined into one buffer, each copied before the next is made. */
export function joinParts(parts: Iterable<Buffer>): Buffer {
  const copies: Buffer[] = [];
  for (const part of parts) copies.push(Buffer.from(part));
  return Buffer.concat(copies);
}

/**
 * A value as qemu-ga writes it: `": "` and `", "` separators, no other whitespace, ASCII only,
 * object members in QEMU's hash-table order (not significant to hosts, but byte-identical).
 */
export function encodeJson(value: JsonValue): string {
  return joinParts(answerParts(jsonPieces(value))).toString('latin1');
}
