import { describe, expect, it } from 'vitest';
import { ChunkPort, ClipboardSelection, ClipboardType, MessageType, NO_PEER, toChunks } from '../../../src/protocol/index.js';
import { clientSerials } from '../../../src/sim/grab-serials.js';
import { CLIENT_PROFILES, QEMU_VDAGENT } from '../../../src/sim/profiles.js';

const CLIP = ClipboardSelection.Clipboard;

describe('the client profiles', () => {
  it('announce the words of the README table (qemu-vdagent with mouse and clipboard: spec §6.4)', () => {
    expect(Object.fromEntries(CLIENT_PROFILES.map((p) => [p.name, p.caps?.toWords()]))).toEqual({
      'spice-gtk-0.42': [0x00035077],
      'legacy-clipboard': [0x00000037],
      'never-announces': undefined,
      'no-monitor-position': [0x00000077],
      'qemu-vdagent': [0x00020061],
    });
  });

  it('qemu-vdagent keeps the NUL a VNC client leaves after the text', () => {
    expect(QEMU_VDAGENT.textOnWire('hi')).toEqual(Buffer.from('hi\0'));
  });

  it('qemu-vdagent sends no MONITORS_CONFIG', () => {
    expect(QEMU_VDAGENT.monitorsConfig([{ width: 800, height: 600 }])).toBeUndefined();
  });

  it('a message cut at qemu-vdagent’s 1024 bytes comes in pieces of 1024 and the rest', () => {
    const chunks = toChunks({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.alloc(2500) }, NO_PEER, ChunkPort.Client, 1024);
    expect(chunks.map((c) => c.readUInt32LE(4))).toEqual([1024, 1024, 20 + 4 + 2500 - 2048]);
  });
});

describe('the grab-serial rules of the clients (spec §7.4, §15.4)', () => {
  it('spice-gtk numbers its grabs 0, 1, … and keeps only the agent grab carrying the number it expects next', () => {
    const s = clientSerials('spice-gtk');
    expect(s.accepts(CLIP, 0)).toBe(true);
    expect(s.next(CLIP)).toBe(1);
    expect(s.accepts(CLIP, 1)).toBe(false);
    expect(s.accepts(CLIP, 2)).toBe(true);
  });

  it('qemu-vdagent keeps any agent grab not below the last serial it saw and numbers its own from that serial', () => {
    const s = clientSerials('qemu-vdagent');
    expect(s.next(CLIP)).toBe(0);
    expect(s.accepts(CLIP, 5)).toBe(true);
    expect(s.accepts(CLIP, 4)).toBe(false);
    expect(s.next(CLIP)).toBe(5);
    s.reset();
    expect(s.next(CLIP)).toBe(0);
  });

  it('counts each selection apart', () => {
    const s = clientSerials('spice-gtk');
    s.next(CLIP);
    expect(s.next(ClipboardSelection.Primary)).toBe(0);
  });
});
