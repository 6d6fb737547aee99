import { describe, expect, it } from 'vitest';
import { pointerEvents, releaseEvents } from '../../../../src/actions/mouse/pointer-events.js';
import { ABS_X, ABS_Y, BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, EV_ABS, EV_KEY, EV_REL, EV_SYN, REL_WHEEL } from '../../../../src/platform/uinput/input-event.js';

const SYN = [EV_SYN, 0, 0];
const flat = (events: { type: number; code: number; value: number }[]): number[][] => events.map((e) => [e.type, e.code, e.value]);

describe('MOUSE_STATE to input events', () => {
  it('a fresh tablet gets the position and the held buttons, then SYN', () => {
    expect(flat(pointerEvents(undefined, { x: 10, y: 20, buttons: 0x02 }))).toEqual([[EV_ABS, ABS_X, 10], [EV_ABS, ABS_Y, 20], [EV_KEY, BTN_LEFT, 1], SYN]);
  });

  it('sends only the axis that moved', () => {
    expect(flat(pointerEvents({ x: 10, y: 20, buttons: 0 }, { x: 10, y: 21, buttons: 0 }))).toEqual([[EV_ABS, ABS_Y, 21], SYN]);
  });

  it('maps the five button bits of spec §8 to left, middle, right, side and extra', () => {
    const all = pointerEvents({ x: 0, y: 0, buttons: 0 }, { x: 0, y: 0, buttons: 0x02 | 0x04 | 0x08 | 0x40 | 0x80 });
    expect(flat(all)).toEqual([[EV_KEY, BTN_LEFT, 1], [EV_KEY, BTN_MIDDLE, 1], [EV_KEY, BTN_RIGHT, 1], [EV_KEY, BTN_SIDE, 1], [EV_KEY, BTN_EXTRA, 1], SYN]);
    const up = pointerEvents({ x: 0, y: 0, buttons: 0x02 | 0x40 }, { x: 0, y: 0, buttons: 0x40 });
    expect(flat(up)).toEqual([[EV_KEY, BTN_LEFT, 0], SYN]);
  });

  it('turns a wheel notch (bit set, then cleared) into one REL_WHEEL step, up +1 and down −1', () => {
    expect(flat(pointerEvents({ x: 0, y: 0, buttons: 0 }, { x: 0, y: 0, buttons: 0x10 }))).toEqual([[EV_REL, REL_WHEEL, 1], SYN]);
    expect(pointerEvents({ x: 0, y: 0, buttons: 0x10 }, { x: 0, y: 0, buttons: 0x10 })).toEqual([]);
    expect(pointerEvents({ x: 0, y: 0, buttons: 0x10 }, { x: 0, y: 0, buttons: 0 })).toEqual([]);
    expect(flat(pointerEvents({ x: 0, y: 0, buttons: 0x10 }, { x: 0, y: 0, buttons: 0x20 }))).toEqual([[EV_REL, REL_WHEEL, -1], SYN]);
  });

  it('sends nothing, not even SYN, for a repeated state', () => {
    expect(pointerEvents({ x: 5, y: 5, buttons: 0x08 }, { x: 5, y: 5, buttons: 0x08 })).toEqual([]);
  });

  it('releases whatever is held', () => {
    expect(flat(releaseEvents({ x: 0, y: 0, buttons: 0x02 | 0x80 | 0x10 }))).toEqual([[EV_KEY, BTN_LEFT, 0], [EV_KEY, BTN_EXTRA, 0], SYN]);
    expect(releaseEvents(undefined)).toEqual([]);
  });
});
