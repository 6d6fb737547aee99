import { describe, expect, it } from 'vitest';
import { decodeStream, readCapture } from '../../../src/commands/decode.js';
import { CapabilitySet, ChunkPort, MessageType, toWire } from '../../../src/protocol/index.js';

describe('vdagent decode', () => {
  it('reads a hex capture and prints one line per message', () => {
    const hex = `02 00 00 00 21 00 00 00 01 00 00 00 01 00 00 00
      00 00 00 00 00 00 00 00 0d 00 00 00 80 02 00 00
      e0 01 00 00 02 00 00 00 00
      01 00 00 00 1c 00 00 00 01 00 00 00 06 00 00 00
      00 00 00 00 00 00 00 00 08 00 00 00 01 00 00 00
      77 50 03 00`;
    expect(decodeStream(readCapture(Buffer.from(hex)))).toEqual([
      'port 2: MOUSE_STATE x=640 y=480 buttons=0x2 display=0',
      expect.stringMatching(/^port 1: ANNOUNCE_CAPABILITIES request=1 caps=0x00035077 \[MouseState,/),
    ]);
  });

  it('reads raw bytes and reports errors and an unfinished tail', () => {
    const raw = Buffer.from('0100000004000000010000000600', 'hex');
    expect(decodeStream(readCapture(raw))).toEqual(['incomplete: 6 bytes of an unfinished chunk or message']);
    const bad = Buffer.from('0300000004000000', 'hex');
    expect(decodeStream(bad)[0]).toMatch(/^error BadChunkPort \(resync\)/);
  });

  it('reads the guest side, where each message is one chunk however large (this agent and spice-vdagentd)', () => {
    const clipboard = { type: MessageType.Clipboard, selection: 0, dataType: 1, data: Buffer.alloc(100_000, 0x61) } as const;
    const wire = Buffer.concat(toWire(clipboard, { peerCaps: CapabilitySet.empty }, ChunkPort.Client, 0xffffffff));
    expect(wire.readUInt32LE(4)).toBe(wire.length - 8);
    expect(decodeStream(wire)).toEqual([expect.stringMatching(/^port 1: CLIPBOARD /)]);
  });
});
