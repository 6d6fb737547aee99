import { QgaError, QgaErrorCode } from './errors.js';

/** What QEMU accepts in base64 input: the standard alphabet, padding and newlines. */
const ALPHABET = /^[A-Za-z0-9+/=\n]*$/;
const RANK = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) RANK[c.charCodeAt(0)] = i;
RANK[0x3d] = 0;

/**
 * Decodes base64 like qemu-ga: characters outside the alphabet are an error; then GLib's lenient
 * decoding (newlines skipped, an incomplete last group dropped, `=` counted as a zero digit that
 * suppresses its byte).
 */
export function decodeBase64(text: string): Buffer {
  if (!ALPHABET.test(text)) throw new QgaError(QgaErrorCode.InvalidBase64, 'Base64 data contains invalid characters');
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0) return Buffer.from(text, 'base64');
  const out = Buffer.alloc(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let v = 0;
  let count = 0;
  let last = 0;
  let beforeLast = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const rank = RANK[c] as number;
    if (rank < 0) continue;
    beforeLast = last;
    last = c;
    v = ((v << 6) | rank) & 0xffffff;
    if (++count === 4) {
      out[n++] = v >> 16;
      if (beforeLast !== 0x3d) out[n++] = (v >> 8) & 0xff;
      if (last !== 0x3d) out[n++] = v & 0xff;
      count = 0;
    }
  }
  return out.subarray(0, n);
}
