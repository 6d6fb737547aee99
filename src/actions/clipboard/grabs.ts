import { type ClipboardReleaseMessage, type ClipboardSelection, type Message, MessageType } from '../../protocol/index.js';

/**
 * The clipboard selections a session helper told the client it owns (CLIPBOARD_GRAB not yet
 * followed by CLIPBOARD_RELEASE). When that helper's session goes, the daemon releases them on its
 * behalf (spec §7.5, §15.3), so the client stops offering data nobody can deliver.
 */
export class GrabTracker {
  private readonly held = new Set<ClipboardSelection>();

  /** Notes a message the helper sent to the client. */
  note(message: Message): void {
    if (message.type === MessageType.ClipboardGrab) this.held.add(message.selection);
    else if (message.type === MessageType.ClipboardRelease) this.held.delete(message.selection);
  }

  /** A CLIPBOARD_RELEASE for each selection still held; forgets them. */
  releaseAll(): ClipboardReleaseMessage[] {
    const out = [...this.held].map((selection): ClipboardReleaseMessage => ({ type: MessageType.ClipboardRelease, selection }));
    this.held.clear();
    return out;
  }

  /** Forgets everything (the client that saw the grabs is gone). */
  clear(): void {
    this.held.clear();
  }
}
