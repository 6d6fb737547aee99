import { describe, expect, it } from 'vitest';
import { ATTACH_MIN, detach, pack, unpack } from '../../../src/session/attachments.js';

/** A FILE_XFER_DATA as the daemon forwards it: its data a view into the 64 KiB block it was collected in. */
function forwardedData(dataBytes: number): { block: Buffer; value: { kind: string; module: string; message: { type: number; id: number; data: Buffer } } } {
  const block = Buffer.alloc(64 * 1024 + 12, 7);
  return { block, value: { kind: 'message', module: 'file-xfer', message: { type: 12, id: 3, data: block.subarray(12, 12 + dataBytes) } } };
}

describe('what the channel hands V8’s serializer (which holds it until a full collection)', () => {
  it('a small byte array that is a view into a larger buffer: a copy of its own bytes only', () => {
    const { block, value } = forwardedData(100);
    const attachments: Uint8Array[] = [];
    const given = detach(value, attachments) as typeof value;
    expect(given.message.data.buffer.byteLength).toBe(100);
    expect(Buffer.isBuffer(given.message.data)).toBe(true);
    expect(given.message.data.equals(value.message.data)).toBe(true);
    expect(attachments).toHaveLength(0);
    // The caller's message is left as it was.
    expect(value.message.data.buffer).toBe(block.buffer);
  });

  it('a byte array that is its whole buffer, and objects without byte arrays: as they are', () => {
    const whole = Buffer.from(new ArrayBuffer(100));
    const value = { kind: 'message', message: { type: 4, data: whole, types: [1, 2] } };
    expect(detach(value, [])).toBe(value);
    const plain = { kind: 'client-caps', words: [1, 2, 3] };
    expect(detach(plain, [])).toBe(plain);
  });

  it('a byte array of 64 KiB or more: an empty stand-in, the array itself listed as an attachment', () => {
    const big = Buffer.alloc(ATTACH_MIN + 1);
    const attachments: Uint8Array[] = [];
    const given = detach({ data: [big] }, attachments) as { data: Uint8Array[] };
    expect(given.data[0]?.byteLength).toBe(0);
    expect(attachments).toEqual([big]);
    expect(attachments[0]).toBe(big);
  });

  it('packs and unpacks such messages to the same bytes', () => {
    const { value } = forwardedData(100);
    const big = Buffer.alloc(ATTACH_MIN, 9);
    const { envelope, attachments } = pack({ ...value, extra: big });
    const back = unpack(envelope, Buffer.concat(attachments)) as typeof value & { extra: Buffer };
    expect(back.message.data.equals(value.message.data)).toBe(true);
    expect(back.extra.equals(big)).toBe(true);
    expect(attachments).toHaveLength(1);
  });
});
