/** CapabilitySet: the u32-word bitset of spec §6.2 and the real announcements of §6.4. */
import { describe, expect, it } from 'vitest';
import { Capability, CapabilitySet } from '../../../src/protocol/index.js';
import { LINUX_AGENT_CAPS_WORD, SPICE_GTK_CAPS_WORD } from './support.js';

describe('CapabilitySet: the announcements of spec §6.4', () => {
  const LINUX_AGENT_BITS = [0, 1, 2, 5, 6, 7, 8, 10, 11, 15, 16, 17];
  const SPICE_GTK_BITS = [0, 1, 2, 4, 5, 6, 12, 14, 16, 17];

  it('reads 0x00038DE7 (spice-vdagentd) as bits 0,1,2,5,6,7,8,10,11,15,16,17', () => {
    expect(CapabilitySet.fromWords([LINUX_AGENT_CAPS_WORD]).bits()).toEqual(LINUX_AGENT_BITS);
  });

  it('reads 0x00035077 (spice-gtk) as bits 0,1,2,4,5,6,12,14,16,17', () => {
    expect(CapabilitySet.fromWords([SPICE_GTK_CAPS_WORD]).bits()).toEqual(SPICE_GTK_BITS);
  });

  it('builds 0x00038DE7 from the Linux agent bits', () => {
    expect(CapabilitySet.of(...LINUX_AGENT_BITS).toWords()).toEqual([0x00038de7]);
  });

  it('builds 0x00035077 from the named spice-gtk capabilities', () => {
    const set = CapabilitySet.of(
      Capability.MouseState,
      Capability.MonitorsConfig,
      Capability.Reply,
      Capability.DisplayConfig,
      Capability.ClipboardByDemand,
      Capability.ClipboardSelection,
      Capability.MonitorsConfigPosition,
      Capability.FileXferDetailedErrors,
      Capability.ClipboardNoReleaseOnRegrab,
      Capability.ClipboardGrabSerial,
    );
    expect(set.toWords()).toEqual([0x00035077]);
  });

  it('answers has() for every bit of spice-gtk and only those', () => {
    const set = CapabilitySet.fromWords([SPICE_GTK_CAPS_WORD]);
    for (let bit = 0; bit < 64; bit++) expect(set.has(bit), `bit ${bit}`).toBe(SPICE_GTK_BITS.includes(bit));
  });

  it('builds the other announcements of §6.4 (Windows agent 0x000006B7, qemu-vdagent 0x00020061)', () => {
    expect(CapabilitySet.of(0, 1, 2, 4, 5, 7, 9, 10).toWords()).toEqual([0x000006b7]);
    expect(CapabilitySet.of(0, 5, 6, 17).toWords()).toEqual([0x00020061]);
  });
});

describe('CapabilitySet with zero words', () => {
  it('is empty when built from no bits or no words', () => {
    expect(CapabilitySet.of().bits()).toEqual([]);
    expect(CapabilitySet.fromWords([]).bits()).toEqual([]);
    expect(CapabilitySet.fromWords([]).equals(CapabilitySet.empty)).toBe(true);
    expect(CapabilitySet.of().equals(CapabilitySet.empty)).toBe(true);
  });

  it('has no bit at all', () => {
    for (const bit of [0, 1, 17, 31, 32, 1000]) expect(CapabilitySet.empty.has(bit)).toBe(false);
  });

  it('still puts one word on the wire by default (VD_AGENT_CAPS_SIZE = 1)', () => {
    expect(CapabilitySet.empty.toWords()).toEqual([0]);
  });

  it('puts no word on the wire when asked for at least zero', () => {
    expect(CapabilitySet.empty.toWords(0)).toEqual([]);
  });

  it('equals a set of all-zero words', () => {
    expect(CapabilitySet.fromWords([0, 0, 0]).equals(CapabilitySet.empty)).toBe(true);
    expect(CapabilitySet.fromWords([0, 0, 0]).toWords()).toEqual([0]);
  });
});

describe('CapabilitySet with several words and bits ≥ 32', () => {
  it('puts bit n in word n >> 5 at position n & 31', () => {
    expect(CapabilitySet.of(32).toWords()).toEqual([0, 1]);
    expect(CapabilitySet.of(33, 0).toWords()).toEqual([1, 2]);
    expect(CapabilitySet.of(95).toWords()).toEqual([0, 0, 0x80000000]);
  });

  it('keeps bit 31 as an unsigned word', () => {
    const set = CapabilitySet.of(31);
    expect(set.toWords()).toEqual([0x80000000]);
    expect(set.has(31)).toBe(true);
    expect(set.bits()).toEqual([31]);
  });

  it('reads bits from every received word', () => {
    const set = CapabilitySet.fromWords([0x00000001, 0x80000000, 0x00000003]);
    expect(set.bits()).toEqual([0, 63, 64, 65]);
    expect(set.has(63)).toBe(true);
    expect(set.has(62)).toBe(false);
    expect(set.has(65)).toBe(true);
  });

  it('treats a bit whose word was not received as not set', () => {
    const set = CapabilitySet.fromWords([0xffffffff]);
    expect(set.has(31)).toBe(true);
    expect(set.has(32)).toBe(false);
    expect(set.has(1 << 20)).toBe(false);
  });

  it('accepts signed words as their unsigned value', () => {
    expect(CapabilitySet.fromWords([-1]).toWords()).toEqual([0xffffffff]);
    expect(CapabilitySet.fromWords([-1]).bits()).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it('accepts a typed array of words', () => {
    expect(CapabilitySet.fromWords(new Uint32Array([0, 4])).bits()).toEqual([34]);
  });

  it('drops trailing zero words, so equal bits mean equal sets', () => {
    expect(CapabilitySet.fromWords([5, 0, 0]).equals(CapabilitySet.fromWords([5]))).toBe(true);
    expect(CapabilitySet.fromWords([5, 0, 0]).toWords()).toEqual([5]);
  });

  it('pads to minWords without changing the bits', () => {
    expect(CapabilitySet.of(1).toWords(3)).toEqual([2, 0, 0]);
    expect(CapabilitySet.of(40).toWords(1)).toEqual([0, 1 << 8]);
  });

  it('lists bits in ascending order whatever order they were given in', () => {
    expect(CapabilitySet.of(64, 3, 33, 0, 3).bits()).toEqual([0, 3, 33, 64]);
  });

  it('round-trips through its wire words', () => {
    const set = CapabilitySet.of(0, 17, 31, 32, 63, 100);
    expect(CapabilitySet.fromWords(set.toWords()).equals(set)).toBe(true);
    expect(CapabilitySet.fromWords(set.toWords()).bits()).toEqual([0, 17, 31, 32, 63, 100]);
  });
});

describe('CapabilitySet union, without and equals', () => {
  it('unites sets of different word counts', () => {
    const a = CapabilitySet.of(0, 5);
    const b = CapabilitySet.of(5, 40, 70);
    expect(a.union(b).bits()).toEqual([0, 5, 40, 70]);
    expect(b.union(a).bits()).toEqual([0, 5, 40, 70]);
    expect(a.union(CapabilitySet.empty).equals(a)).toBe(true);
  });

  it('leaves both operands unchanged', () => {
    const a = CapabilitySet.of(1);
    const b = CapabilitySet.of(33);
    a.union(b);
    a.without(1);
    expect(a.bits()).toEqual([1]);
    expect(b.bits()).toEqual([33]);
  });

  it('removes the given bits, including bit 31 and bits ≥ 32', () => {
    const set = CapabilitySet.of(0, 6, 17, 31, 32, 64);
    expect(set.without(6, 17).bits()).toEqual([0, 31, 32, 64]);
    expect(set.without(31, 64).bits()).toEqual([0, 6, 17, 32]);
  });

  it('ignores bits that are not set, even beyond the last word', () => {
    const set = CapabilitySet.of(3);
    expect(set.without(4, 200).equals(set)).toBe(true);
  });

  it('shrinks when the top word becomes empty', () => {
    const set = CapabilitySet.of(1, 40).without(40);
    expect(set.equals(CapabilitySet.of(1))).toBe(true);
    expect(set.toWords()).toEqual([2]);
  });

  it('equals compares bits, not how the set was built', () => {
    expect(CapabilitySet.of(0, 1, 2).equals(CapabilitySet.fromWords([7]))).toBe(true);
    expect(CapabilitySet.of(0, 1, 2).equals(CapabilitySet.fromWords([7, 1]))).toBe(false);
    expect(CapabilitySet.of(32).equals(CapabilitySet.of(0))).toBe(false);
    expect(CapabilitySet.empty.equals(CapabilitySet.of(0))).toBe(false);
  });
});
