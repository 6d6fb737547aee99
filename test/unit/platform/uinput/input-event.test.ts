import { describe, expect, it } from 'vitest';
import { decodeInputEvents, encodeInputEvents, EV_KEY, EV_SYN, BTN_LEFT, INPUT_EVENT_SIZE, InputEventEncoder, nowMicros } from '../../../../src/platform/uinput/input-event.js';

describe('struct input_event records', () => {
  it('are 24 bytes: timeval seconds and microseconds as i64, type u16, code u16, value i32, little-endian', () => {
    const b = encodeInputEvents([{ type: EV_KEY, code: BTN_LEFT, value: -1 }], 1_700_000_000_123_456);
    expect(INPUT_EVENT_SIZE).toBe(24);
    expect(b.length).toBe(24);
    expect(b.readBigInt64LE(0)).toBe(1_700_000_000n);
    expect(b.readBigInt64LE(8)).toBe(123_456n);
    expect(b.subarray(16)).toEqual(Buffer.from([0x01, 0x00, 0x10, 0x01, 0xff, 0xff, 0xff, 0xff]));
  });

  it('decode back, and a trailing partial record is left out', () => {
    const events = [
      { type: EV_KEY, code: BTN_LEFT, value: 1 },
      { type: EV_SYN, code: 0, value: 0 },
    ];
    const b = Buffer.concat([encodeInputEvents(events, 5_000_001), Buffer.alloc(10)]);
    expect(decodeInputEvents(b)).toEqual(events.map((e) => ({ ...e, timeUs: 5_000_001 })));
  });

  it('come out of an encoder byte for byte as encodeInputEvents makes them, in one reused buffer, however many there are', () => {
    const encoder = new InputEventEncoder();
    const one = [{ type: EV_KEY, code: BTN_LEFT, value: 1 }];
    const many = Array.from({ length: 40 }, (_, i) => ({ type: EV_KEY, code: BTN_LEFT, value: i }));
    const first = encoder.encode(one, 1_700_000_000_123_456);
    expect(first).toEqual(encodeInputEvents(one, 1_700_000_000_123_456));
    const second = encoder.encode([{ type: EV_SYN, code: 0, value: 0 }], 7);
    expect(second.buffer).toBe(first.buffer);
    expect(second).toEqual(encodeInputEvents([{ type: EV_SYN, code: 0, value: 0 }], 7));
    expect(encoder.encode(many, 7)).toEqual(encodeInputEvents(many, 7));
  });

  it('are stamped with the wall clock', () => {
    expect(Math.abs(nowMicros() / 1000 - Date.now())).toBeLessThan(1000);
    expect(Number.isInteger(nowMicros())).toBe(true);
  });
});
