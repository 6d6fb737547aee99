import { JsonFloat, type JsonValue } from './json.js';
import { isNoncharacter } from './utf8.js';

/** Strings that need no escaping: printable ASCII without `"` and `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Readonly<Record<number, string>> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

const u4 = (unit: number): string => `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;

/** A string as QEMU writes it: pure ASCII, `\uXXXX` (upper-case) for the rest, U+FFFD for what is not valid. */
export function encodeString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const short = SHORT_ESCAPES[cp];
    if (short !== undefined) out += short;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if ((cp >= 0xd800 && cp <= 0xdfff) || isNoncharacter(cp)) out += '\\uFFFD';
    else if (cp > 0xffff) out += u4(0xd800 + ((cp - 0x10000) >> 10)) + u4(0xdc00 + ((cp - 0x10000) & 0x3ff));
    else out += u4(cp);
  }
  return `${out}"`;
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

/**
 * A value as qemu-ga writes it: `": "` and `", "` separators, no other whitespace, ASCII only,
 * object members in QEMU's hash-table order (not significant to hosts, but byte-identical).
 */
export function encodeJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(value);
    case 'string':
      return encodeString(value);
  }
  if (value instanceof JsonFloat) return formatDouble(value.value);
  if (Array.isArray(value)) return `[${value.map(encodeJson).join(', ')}]`;
  return `{${qdictOrder(value).map(([k, v]) => `${encodeString(k)}: ${encodeJson(v)}`).join(', ')}}`;
}
