/** Smallest code point for each sequence length (index = number of bytes), to refuse overlong forms. */
const MIN_CODE_POINT = [0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/** Whether a code point is a Unicode noncharacter (U+FDD0..U+FDEF, U+xxFFFE, U+xxFFFF). */
export function isNoncharacter(cp: number): boolean {
  return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
}

/** Whether QEMU's modified UTF-8 can carry a code point: no surrogates, no noncharacters, at most U+10FFFF. */
export function isValidCodePoint(cp: number): boolean {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && !isNoncharacter(cp);
}

/**
 * Decodes one code point of QEMU's modified UTF-8 at `i` (NUL may be written C0 80). Returns the
 * code point, or -1 for an invalid sequence, and where the next one starts: a stray continuation
 * byte, 0xFE or 0xFF is one invalid byte; a sequence cut short ends before the byte that broke it.
 */
export function decodeCodePoint(bytes: Uint8Array, i: number, end: number): { cp: number; next: number } {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return { cp: lead, next: i + 1 };
  if (lead < 0xc0 || lead >= 0xfe) return { cp: -1, next: i + 1 };
  let length = 2;
  while (length < 6 && lead & (0x80 >> length)) length++;
  let cp = lead & (0x7f >> length);
  let j = i + 1;
  for (; j < i + length; j++) {
    const b = j < end ? (bytes[j] ?? 0) : 0;
    if ((b & 0xc0) !== 0x80) return { cp: -1, next: j };
    cp = (cp << 6) | (b & 0x3f);
  }
  const overlong = cp < (MIN_CODE_POINT[length] ?? 0) && !(length === 2 && cp === 0);
  return { cp: overlong || !isValidCodePoint(cp) ? -1 : cp, next: j };
}

/** Bytes as text the way QEMU prints them: each invalid sequence becomes U+FFFD; text stops at a NUL byte. */
export function decodeLenient(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    if (bytes[i] === 0) break;
    const { cp, next } = decodeCodePoint(bytes, i, bytes.length);
    out += String.fromCodePoint(cp < 0 ? 0xfffd : cp);
    i = next;
  }
  return out;
}

/** A host string as qemu-ga holds it in C: UTF-8 with each NUL written C0 80, so it never ends the string early. */
export function modifiedUtf8(text: string): Buffer {
  return Buffer.concat(text.split('\0').flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.of(0xc0, 0x80), Buffer.from(part)])));
}
