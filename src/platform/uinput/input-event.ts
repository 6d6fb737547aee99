/** Event types of `linux/input-event-codes.h`. */
export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_REL = 0x02;
export const EV_ABS = 0x03;

/** Event codes the tablet uses. */
export const SYN_REPORT = 0;
export const BTN_LEFT = 0x110;
export const BTN_RIGHT = 0x111;
export const BTN_MIDDLE = 0x112;
export const BTN_SIDE = 0x113;
export const BTN_EXTRA = 0x114;
export const REL_WHEEL = 0x08;
export const ABS_X = 0x00;
export const ABS_Y = 0x01;

/** One input event: what the kernel's `struct input_event` carries besides its time stamp. */
export interface InputEvent {
  type: number;
  code: number;
  value: number;
}

/**
 * Size of `struct input_event` for 64-bit user space: `struct timeval` (two 64-bit longs), then
 * `__u16 type`, `__u16 code`, `__s32 value`.
 */
export const INPUT_EVENT_SIZE = 24;

/** Encodes events as consecutive `struct input_event` records stamped with `nowUs` (microseconds since the epoch). */
export function encodeInputEvents(events: readonly InputEvent[], nowUs: number): Buffer {
  const buf = Buffer.alloc(events.length * INPUT_EVENT_SIZE);
  writeInputEvents(buf, events, nowUs);
  return buf;
}

/** Writes events as records at the start of `buf` (which must hold them); returns the bytes written. */
export function writeInputEvents(buf: Buffer, events: readonly InputEvent[], nowUs: number): number {
  const sec = Math.floor(nowUs / 1_000_000);
  const usec = nowUs - sec * 1_000_000;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as InputEvent;
    const o = i * INPUT_EVENT_SIZE;
    // 64-bit little-endian fields as two 32-bit halves (no BigInt on the hot path).
    buf.writeUInt32LE(sec % 2 ** 32, o);
    buf.writeUInt32LE(Math.floor(sec / 2 ** 32), o + 4);
    buf.writeUInt32LE(usec, o + 8);
    buf.writeUInt32LE(0, o + 12);
    buf.writeUInt16LE(e.type, o + 16);
    buf.writeUInt16LE(e.code, o + 18);
    buf.writeInt32LE(e.value, o + 20);
  }
  return events.length * INPUT_EVENT_SIZE;
}

/**
 * Encodes records into one buffer reused from call to call (no allocation per pointer state); what
 * it returns is valid until the next call, which suits a synchronous write.
 */
export class InputEventEncoder {
  private buf = Buffer.alloc(16 * INPUT_EVENT_SIZE);

  /** The records of `events` stamped with `nowUs`, as a view of the reused buffer. */
  encode(events: readonly InputEvent[], nowUs: number): Buffer {
    if (events.length * INPUT_EVENT_SIZE > this.buf.length) this.buf = Buffer.alloc(events.length * INPUT_EVENT_SIZE);
    return this.buf.subarray(0, writeInputEvents(this.buf, events, nowUs));
  }
}

/** A decoded `struct input_event` record with its time stamp in microseconds since the epoch. */
export interface StampedInputEvent extends InputEvent {
  timeUs: number;
}

/** Decodes whole `struct input_event` records; a trailing partial record is left out. */
export function decodeInputEvents(buf: Buffer): StampedInputEvent[] {
  const out: StampedInputEvent[] = [];
  for (let o = 0; o + INPUT_EVENT_SIZE <= buf.length; o += INPUT_EVENT_SIZE) {
    out.push({
      timeUs: Number(buf.readBigInt64LE(o)) * 1_000_000 + Number(buf.readBigInt64LE(o + 8)),
      type: buf.readUInt16LE(o + 16),
      code: buf.readUInt16LE(o + 18),
      value: buf.readInt32LE(o + 20),
    });
  }
  return out;
}

/** Wall-clock time in whole microseconds since the epoch, advancing with the monotonic clock (as the kernel stamps events). */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
