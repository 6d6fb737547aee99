import { CapabilitySet } from './capabilities.js';
import { Capability } from './constants.js';

/** Negotiated settings the codec needs: the peer's last announced capabilities (spec §6.6). */
export interface CodecContext {
  /** Capabilities of the other side; empty until it announced them. */
  readonly peerCaps: CapabilitySet;
}

/** Whether clipboard messages carry the 4-byte selection prefix. */
export function hasSelection(ctx: CodecContext): boolean {
  return ctx.peerCaps.has(Capability.ClipboardSelection);
}

/** Whether CLIPBOARD_GRAB carries a serial. */
export function hasGrabSerial(ctx: CodecContext): boolean {
  return ctx.peerCaps.has(Capability.ClipboardGrabSerial);
}

/** A context for a peer that announced nothing yet. */
export const NO_PEER: CodecContext = { peerCaps: CapabilitySet.empty };
