import type { ClipboardSelection } from '../protocol/index.js';

/** A client's side of CLIPBOARD_GRAB serials (spec §7.4): how it numbers its grabs, which of the agent's it keeps. */
export interface ClientSerials {
  /** The serial of the client's next grab of `selection`. */
  next(selection: ClipboardSelection): number;
  /** Whether the client keeps the agent's grab of `selection` carrying `serial`. */
  accepts(selection: ClipboardSelection, serial: number): boolean;
  /** Back to 0 for every selection. */
  reset(): void;
}

/** The two rules real clients follow. */
export type SerialRule = 'spice-gtk' | 'qemu-vdagent';

/** Makes the counters of a rule. */
export function clientSerials(rule: SerialRule): ClientSerials {
  const counters = new Map<ClipboardSelection, number>();
  const get = (sel: ClipboardSelection): number => counters.get(sel) ?? 0;
  const bump = (sel: ClipboardSelection): number => {
    const value = get(sel);
    counters.set(sel, (value + 1) >>> 0);
    return value;
  };
  return {
    next: bump,
    // spice-gtk: only the serial it expects, which it then moves on; qemu-vdagent: anything not
    // lower than the last serial it saw, which it keeps (and numbers its own next grab from).
    accepts:
      rule === 'spice-gtk'
        ? (sel, serial) => serial === get(sel) && bump(sel) === serial
        : (sel, serial) => {
            if (serial < get(sel)) return false;
            counters.set(sel, serial);
            return true;
          },
    reset: () => counters.clear(),
  };
}
