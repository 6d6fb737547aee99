/** What the agent does with a client's CLIPBOARD_GRAB serial, and its counter afterwards (spec §7.4). */
export interface SerialVerdict {
  accept: boolean;
  next: number;
}

/**
 * The agent's rule for a received grab serial `r` against its counter `s`: `r == s − 1` is the
 * client winning a simultaneous grab (accepted, counter unchanged), `r == s` is accepted and the
 * counter moves on, anything else is a stale grab and is discarded. Counters are u32 and wrap.
 */
export function judgeGrabSerial(counter: number, received: number): SerialVerdict {
  if (received === ((counter - 1) >>> 0)) return { accept: true, next: counter };
  if (received === counter) return { accept: true, next: (counter + 1) >>> 0 };
  return { accept: false, next: counter };
}
