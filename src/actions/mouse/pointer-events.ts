import {
  ABS_X,
  ABS_Y,
  BTN_EXTRA,
  BTN_LEFT,
  BTN_MIDDLE,
  BTN_RIGHT,
  BTN_SIDE,
  EV_ABS,
  EV_KEY,
  EV_REL,
  EV_SYN,
  REL_WHEEL,
  SYN_REPORT,
  type InputEvent,
} from '../../platform/uinput/input-event.js';
import { MouseButtonMask } from '../../protocol/index.js';

/** A pointer state in desktop coordinates, with the VDAgent button mask (spec §8). */
export interface PointerState {
  x: number;
  y: number;
  buttons: number;
}

/** VDAgent mask bits of the held buttons and the input codes they drive (spec §8). */
const BUTTONS: readonly [mask: number, code: number][] = [
  [MouseButtonMask.Left, BTN_LEFT],
  [MouseButtonMask.Middle, BTN_MIDDLE],
  [MouseButtonMask.Right, BTN_RIGHT],
  [MouseButtonMask.Side, BTN_SIDE],
  [MouseButtonMask.Extra, BTN_EXTRA],
];
/** The wheel "buttons": one step on each 0→1 edge. */
const WHEEL_UP = MouseButtonMask.Up;
const WHEEL_DOWN = MouseButtonMask.Down;

const syn: InputEvent = { type: EV_SYN, code: SYN_REPORT, value: 0 };

/**
 * The events that take the tablet from `prev` (undefined: just created, nothing held) to `next`:
 * ABS_X / ABS_Y when changed, a key event per button bit that changed, REL_WHEEL +1 / −1 on the
 * 0→1 edge of the wheel bits (nothing on 1→0), then SYN_REPORT. No change, no events.
 */
export function pointerEvents(prev: PointerState | undefined, next: PointerState): InputEvent[] {
  const events: InputEvent[] = [];
  if (prev?.x !== next.x) events.push({ type: EV_ABS, code: ABS_X, value: next.x });
  if (prev?.y !== next.y) events.push({ type: EV_ABS, code: ABS_Y, value: next.y });
  const before = prev?.buttons ?? 0;
  for (const [mask, code] of BUTTONS) {
    if ((before & mask) !== (next.buttons & mask)) events.push({ type: EV_KEY, code, value: next.buttons & mask ? 1 : 0 });
  }
  if (next.buttons & WHEEL_UP && !(before & WHEEL_UP)) events.push({ type: EV_REL, code: REL_WHEEL, value: 1 });
  if (next.buttons & WHEEL_DOWN && !(before & WHEEL_DOWN)) events.push({ type: EV_REL, code: REL_WHEEL, value: -1 });
  if (events.length > 0) events.push(syn);
  return events;
}

/** The events that release every button `state` holds (for a client that leaves mid-drag). */
export function releaseEvents(state: PointerState | undefined): InputEvent[] {
  const events: InputEvent[] = BUTTONS.filter(([mask]) => (state?.buttons ?? 0) & mask).map(([, code]) => ({ type: EV_KEY, code, value: 0 }));
  if (events.length > 0) events.push(syn);
  return events;
}
