/** Bytes of a D-Bus message's fixed header: endianness, type, flags, version, body length, serial, header fields' length. */
export const FIXED_HEADER = 16;

/** The header field codes read here (the D-Bus specification's SENDER). */
const SENDER = 7;

/** Sizes (and alignments) of the basic types a header field's value may have, but strings. */
const FIXED_SIZE: Readonly<Record<string, number>> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, h: 4, x: 8, t: 8, d: 8 };

/** What the daemon needs of a message's header before its body is read. */
export interface BusHeader {
  /** The message type: 1 method call, 2 method return, 3 error, 4 signal. */
  type: number;
  /** The SENDER field: the unique name (or the bus's own name) the bus stamped, if any. */
  sender: string | undefined;
}

/** The lengths a fixed header declares: its header fields (unpadded, and padded to the body's 8-byte boundary) and the whole message. */
export function declaredLengths(fixed: Buffer): { fields: number; padded: number; message: number } {
  const le = fixed[0] === 0x6c; // 'l'
  const body = le ? fixed.readUInt32LE(4) : fixed.readUInt32BE(4);
  const fields = le ? fixed.readUInt32LE(12) : fixed.readUInt32BE(12);
  const padded = Math.ceil(fields / 8) * 8;
  return { fields, padded, message: FIXED_HEADER + padded + body };
}

/**
 * Reads the type and SENDER of a message from `head`, its fixed header and header fields (the
 * array `a(yv)` the fixed header declares), without its body. Undefined when they are not a
 * header as the specification writes one: an unknown endianness, a field running past the
 * declared array, a value that is not of a basic type (the bus strips fields it does not know),
 * a SENDER that is not a string. Never throws.
 */
export function readBusHeader(head: Buffer): BusHeader | undefined {
  if (head.length < FIXED_HEADER) return undefined;
  const le = head[0] === 0x6c;
  if (!le && head[0] !== 0x42) return undefined; // 'B'
  const end = FIXED_HEADER + declaredLengths(head).fields;
  if (end > head.length) return undefined;
  const u32 = (at: number): number => (le ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const align = (at: number, n: number): number => Math.ceil(at / n) * n;
  let sender: string | undefined;
  let at = FIXED_HEADER;
  while (at < end) {
    at = align(at, 8);
    if (at + 3 > end) return undefined;
    const code = head[at] as number;
    const signatureLength = head[at + 1] as number;
    const signature = head.toString('latin1', at + 2, at + 2 + signatureLength);
    at += 2 + signatureLength;
    if (signatureLength !== 1 || at >= end || head[at] !== 0) return undefined;
    at += 1;
    let value: string | undefined;
    if (signature === 's' || signature === 'o') {
      at = align(at, 4);
      if (at + 4 > end) return undefined;
      const length = u32(at);
      if (length > end - at - 5 || head[at + 4 + length] !== 0) return undefined;
      value = head.toString('utf8', at + 4, at + 4 + length);
      at += 5 + length;
    } else if (signature === 'g') {
      if (at >= end) return undefined;
      const length = head[at] as number;
      if (length > end - at - 2 || head[at + 1 + length] !== 0) return undefined;
      at += 2 + length;
    } else {
      const size = FIXED_SIZE[signature];
      if (size === undefined) return undefined;
      at = align(at, size) + size;
      if (at > end) return undefined;
    }
    if (code === SENDER) {
      if (signature !== 's') return undefined;
      sender = value;
    }
  }
  return { type: head[1] as number, sender };
}
