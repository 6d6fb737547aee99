import dbus from 'dbus-next';
import { describe, expect, it } from 'vitest';
import { declaredLengths, readBusHeader } from '../../../src/session/bus-header.js';
import { marshalled } from '../../support/bus-stranger.js';
import { SeededRandom } from '../../support/seeded-random.js';

type Endian = 'LE' | 'BE';
/** A header field as written: its code, its value's signature and value. */
type Field = [code: number, signature: string, value: string | number];

const PATH: Field = [1, 'o', '/org/freedesktop/login1'];
const MEMBER: Field = [3, 's', 'Lock'];
const REPLY_SERIAL: Field = [5, 'u', 7];
const SENDER: Field = [7, 's', ':1.42'];
const SIGNATURE: Field = [8, 'g', 'sa{sv}as'];

/**
 * A message's fixed header and header fields as the specification writes them, in either
 * endianness, with `declared` (default: the fields' true length) as the fields' length.
 */
function head(endian: Endian, type: number, fields: Field[], declared?: number): Buffer {
  const bytes: number[] = [];
  const pad = (n: number): void => {
    while (bytes.length % n !== 0) bytes.push(0);
  };
  const u32 = (v: number): number[] => {
    const b = Buffer.alloc(4);
    if (endian === 'LE') b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return [...b];
  };
  bytes.push(endian === 'LE' ? 0x6c : 0x42, type, 0, 1, ...u32(0), ...u32(1), ...u32(0));
  for (const [code, signature, value] of fields) {
    pad(8);
    bytes.push(code, signature.length, ...Buffer.from(signature), 0);
    if (signature === 'u') {
      pad(4);
      bytes.push(...u32(Number(value)));
    } else if (signature === 'g') {
      bytes.push(String(value).length, ...Buffer.from(String(value)), 0);
    } else {
      pad(4);
      bytes.push(...u32(Buffer.byteLength(String(value))), ...Buffer.from(String(value)), 0);
    }
  }
  const length = bytes.length - 16;
  pad(8);
  const out = Buffer.from(bytes);
  if (endian === 'LE') out.writeUInt32LE(declared ?? length, 12);
  else out.writeUInt32BE(declared ?? length, 12);
  return out;
}

describe('the header of a message from the bus, read before its body', () => {
  it('gives the type and SENDER of a message as dbus-next writes it', () => {
    const signal = new dbus.Message({ type: dbus.MessageType.SIGNAL, sender: ':1.9', destination: ':1.3', path: '/x', interface: 'org.example.Peer', member: 'Big', signature: 'ay', body: [Buffer.alloc(100)] });
    const bytes = marshalled(signal, 5);
    const { padded, message } = declaredLengths(bytes);
    expect(message).toBe(bytes.length);
    expect(readBusHeader(bytes.subarray(0, 16 + padded))).toEqual({ type: 4, sender: ':1.9' });
  });

  it.each<Endian>(['LE', 'BE'])('reads the SENDER wherever it is among the fields (%s)', (endian) => {
    for (const fields of [
      [SENDER, PATH, MEMBER, SIGNATURE],
      [PATH, MEMBER, SIGNATURE, SENDER],
      [SIGNATURE, PATH, SENDER, MEMBER],
      [REPLY_SERIAL, SENDER, SIGNATURE],
    ]) {
      expect(readBusHeader(head(endian, 4, fields))).toEqual({ type: 4, sender: ':1.42' });
    }
  });

  it.each<Endian>(['LE', 'BE'])('gives no sender for a message without the field (%s)', (endian) => {
    expect(readBusHeader(head(endian, 2, [REPLY_SERIAL, SIGNATURE]))).toEqual({ type: 2, sender: undefined });
  });

  it.each<Endian>(['LE', 'BE'])('cannot read fields cut anywhere inside one, nor past the bytes it has (%s)', (endian) => {
    const whole = head(endian, 4, [PATH, SENDER, SIGNATURE]);
    const length = declaredLengths(whole).fields;
    // Where each field ends: a cut there leaves whole fields.
    const ends = new Set([PATH, SENDER, SIGNATURE].map((_, i, all) => declaredLengths(head(endian, 4, all.slice(0, i + 1))).fields));
    for (let cut = 1; cut < length; cut++) {
      const read = readBusHeader(head(endian, 4, [PATH, SENDER, SIGNATURE], cut));
      if (ends.has(cut)) expect(read).toBeDefined();
      else expect(read).toBeUndefined();
    }
    for (let cut = 0; cut < 16 + length; cut++) expect(readBusHeader(whole.subarray(0, cut))).toBeUndefined();
  });

  it.each<[string, Buffer]>([
    ['an unknown endianness', Buffer.concat([Buffer.from('X'), head('LE', 4, [SENDER]).subarray(1)])],
    ['a SENDER that is no string', head('LE', 4, [[7, 'u', 3]])],
    ['a value of a container type', head('LE', 4, [SENDER]).fill(0x61, 18, 19)],
    ['a signature of two types', head('LE', 4, [[1, 'ss', 'x']])],
    ['a string without its terminating nul', head('LE', 4, [SENDER]).fill(0x41, 16 + 8 + 5, 16 + 8 + 6)],
    ['a string longer than the fields', (() => {
      const b = head('LE', 4, [SENDER]);
      b.writeUInt32LE(1000, 16 + 4);
      return b;
    })()],
  ])('cannot read a header with %s', (_, bytes) => {
    expect(readBusHeader(bytes)).toBeUndefined();
  });

  it('never throws, whatever the bytes', () => {
    const random = new SeededRandom(7);
    const whole = head('BE', 4, [PATH, MEMBER, SENDER, SIGNATURE, REPLY_SERIAL]);
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(whole);
      for (let n = random.int(1, 4); n > 0; n--) bytes[random.int(0, bytes.length - 1)] = random.int(0, 255);
      const read = readBusHeader(bytes.subarray(0, random.chance(0.2) ? random.int(0, bytes.length) : bytes.length));
      if (read !== undefined) expect(typeof read.type).toBe('number');
    }
  });
});
