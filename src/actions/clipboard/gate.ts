import { Capability, type CapabilitySet, ClipboardType, type ClipboardMessage, type ClipboardSelection, type Message, MessageType } from '../../protocol/index.js';
import { FORWARD, type Admission, type SessionGate, type SessionState } from '../session-gate.js';
import { GrabTracker } from './grabs.js';

/** Most requests the helper may owe at once; more are answered NONE here (a flood must not queue without bound). */
export const MAX_OWED_REQUESTS = 64;

/** The empty answer to a request nobody can serve (spec §7.5, rule 4). */
function none(selection: ClipboardSelection): ClipboardMessage {
  return { type: MessageType.Clipboard, selection, dataType: ClipboardType.None, data: Buffer.alloc(0) };
}

/**
 * The daemon's side of the clipboard. Its bits are announced while a helper serves it. A
 * CLIPBOARD_REQUEST is answered NONE here when no helper can answer, and while the session is
 * locked, so a locked desktop's clipboard never leaves the guest. It follows the grabs the helper
 * made and the requests it still owes, so that when the helper goes away (session switch, end,
 * crash) the client hears CLIPBOARD_RELEASE for each grab and NONE for each open request.
 */
export class ClipboardGate implements SessionGate {
  private readonly grabs = new GrabTracker();
  /** Forwarded requests not answered yet, in order, by selection. */
  private readonly owed: ClipboardSelection[] = [];

  constructor(private readonly bits: readonly Capability[]) {}

  capabilities(state: SessionState): readonly Capability[] {
    return state === 'absent' ? [] : this.bits;
  }

  admit(message: Message, state: SessionState): Admission {
    if (message.type !== MessageType.ClipboardRequest) return FORWARD;
    if (state === 'absent' || state === 'locked' || this.owed.length >= MAX_OWED_REQUESTS) return { kind: 'reply', message: none(message.selection) };
    this.owed.push(message.selection);
    return FORWARD;
  }

  /**
   * A grab, release or request goes only to a client that announced CLIPBOARD_BY_DEMAND (spec
   * §6.6). One the helper made before it heard of CLIENT_DISCONNECTED or a new client was made for
   * the old client: it is dropped here, and the helper, reset, tells the new client once it
   * announces. An answer (CLIPBOARD) always goes: every request gets one.
   */
  passes(message: Message, clientCaps: CapabilitySet): boolean {
    return message.type === MessageType.Clipboard || clientCaps.has(Capability.ClipboardByDemand);
  }

  sent(message: Message): void {
    this.grabs.note(message);
    if (message.type !== MessageType.Clipboard) return;
    const i = this.owed.indexOf(message.selection);
    if (i >= 0) this.owed.splice(i, 1);
  }

  /** A clipboard answer too large for the output queue still answers its request: NONE. */
  refused(message: Message): Message | undefined {
    return message.type === MessageType.Clipboard ? none(message.selection) : undefined;
  }

  lost(): Message[] {
    const answers = this.owed.splice(0).map(none);
    return [...answers, ...this.grabs.releaseAll()];
  }

  resetClient(): void {
    this.owed.length = 0;
    this.grabs.clear();
  }
}
