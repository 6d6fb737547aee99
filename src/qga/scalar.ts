import { jsonSyntaxError } from './errors.js';
import { JsonFloat, type JsonValue } from './json.js';
import { type Token, TokenType } from './lexer.js';
import { decodeCodePoint, isValidCodePoint } from './utf8.js';

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '"',
  0x27: "'",
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

/** The four hex digits at `i` as a number, or -1. */
function hex4(text: Buffer, i: number, end: number): number {
  if (i + 4 > end) return -1;
  const s = text.toString('latin1', i, i + 4);
  return /^[0-9a-fA-F]{4}$/.test(s) ? parseInt(s, 16) : -1;
}

/** Decodes a string token (quotes included) as QEMU does; throws QgaError on a bad escape or bad UTF-8. */
export function decodeString(token: Token): string {
  const { text } = token;
  const end = text.length - 1;
  if (token.plain) return text.toString('latin1', 1, end);
  const units: number[] = [];
  let out = '';
  const flush = (): void => {
    out += String.fromCharCode(...units);
    units.length = 0;
  };
  for (let i = 1; i < end; ) {
    const b = text[i] as number;
    if (b === 0x5c) {
      const e = text[i + 1] as number;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        units.push(simple.charCodeAt(0));
        i += 2;
      } else if (e === 0x75) {
        let cp = hex4(text, i + 2, end);
        let length = 6;
        if (cp >= 0xd800 && cp <= 0xdbff && text[i + 6] === 0x5c && text[i + 7] === 0x75) {
          const low = hex4(text, i + 8, end);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            length = 12;
          }
        }
        if (!isValidCodePoint(cp)) {
          throw jsonSyntaxError(`${text.toString('latin1', i, Math.min(i + length, text.length))} is not a valid Unicode character`);
        }
        if (cp > 0xffff) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
        else units.push(cp);
        i += length;
      } else {
        throw jsonSyntaxError('invalid escape sequence in string');
      }
    } else {
      const { cp, next } = decodeCodePoint(text, i, end);
      if (cp < 0) throw jsonSyntaxError('invalid UTF-8 sequence in string');
      if (cp > 0xffff) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
      else units.push(cp);
      i = next;
    }
    if (units.length >= 8192) flush();
  }
  flush();
  return out;
}

/** The longest integer token that may fit 64 bits: a sign and 20 digits (JSON has no leading zeros). */
const MAX_INT64_TEXT = 21;

/**
 * An integer token: a safe number, a 64-bit bigint, or (beyond 64 bits) a double, as QEMU keeps it.
 * A longer token is a double at once: BigInt takes seconds for megabytes of digits.
 */
function decodeInteger(text: string): JsonValue {
  if (text.length > MAX_INT64_TEXT) return new JsonFloat(Number(text));
  const n = BigInt(text);
  if (n < INT64_MIN || n > UINT64_MAX) return new JsonFloat(Number(text));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** The value of a scalar token (string, number, keyword); throws QgaError for what QEMU refuses. */
export function decodeScalar(token: Token): JsonValue {
  switch (token.type) {
    case TokenType.String:
      return decodeString(token);
    case TokenType.Integer:
      return decodeInteger(token.text.toString('latin1'));
    case TokenType.Float:
      return new JsonFloat(Number(token.text.toString('latin1')));
    case TokenType.Keyword: {
      const word = token.text.toString('latin1', 0, 1024);
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
      throw jsonSyntaxError(`invalid keyword '${word}'`);
    }
    default:
      throw jsonSyntaxError('expecting value');
  }
}
