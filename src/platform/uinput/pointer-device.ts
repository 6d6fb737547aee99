import { BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, type InputEvent } from './input-event.js';

/** The size of the desktop the tablet spans: ABS_X runs 0…width−1, ABS_Y 0…height−1. */
export interface TabletSize {
  width: number;
  height: number;
}

/** The buttons the tablet reports. */
export const TABLET_BUTTONS = [BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, BTN_EXTRA] as const;

/** The name the tablet shows to the input stack. */
export const TABLET_NAME = 'vdagent tablet';

/**
 * An absolute pointing device events are injected into: a uinput tablet, or the file of
 * `--fake-uinput`. Its axes span the whole desktop; a new desktop size re-creates it.
 */
export interface PointerDevice {
  /** Creates the device with axes spanning `size`. */
  open(size: TabletSize): Promise<void>;
  /** Re-creates the open device for a new desktop size (all buttons come back released). */
  resize(size: TabletSize): Promise<void>;
  /**
   * Injects events, in order (the caller ends each state with SYN_REPORT). What the kernel does
   * not take at once waits in a bounded queue; throws ENOBUFS when that is full.
   */
  emit(events: readonly InputEvent[]): void;
  /** Hears when the device falls behind (true: stop feeding it) and catches up (false). */
  onBehind?: (behind: boolean) => void;
  /** Removes the device. */
  close(): Promise<void>;
}
