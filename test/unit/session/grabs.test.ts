import { describe, expect, it } from 'vitest';
import { plainGate } from '../../../src/actions/session-gate.js';
import { GrabTracker } from '../../../src/session/grabs.js';
import { Capability, ClipboardSelection, ClipboardType, MessageType, type ClipboardGrabMessage, type ClipboardReleaseMessage } from '../../../src/protocol/index.js';

describe('clipboard grabs a session helper holds', () => {
  const grab = (selection: ClipboardSelection): ClipboardGrabMessage => ({ type: MessageType.ClipboardGrab, selection, types: [ClipboardType.Utf8Text] });
  const release = (selection: ClipboardSelection): ClipboardReleaseMessage => ({ type: MessageType.ClipboardRelease, selection });

  it('are released, once per selection still held, when the session goes', () => {
    const t = new GrabTracker();
    t.note(grab(ClipboardSelection.Clipboard));
    t.note(grab(ClipboardSelection.Primary));
    t.note(grab(ClipboardSelection.Clipboard));
    t.note(grab(ClipboardSelection.Secondary));
    t.note(release(ClipboardSelection.Secondary));
    expect(t.releaseAll()).toEqual([release(ClipboardSelection.Clipboard), release(ClipboardSelection.Primary)]);
    expect(t.releaseAll()).toEqual([]);
  });

  it('are forgotten when the client that saw them is gone', () => {
    const t = new GrabTracker();
    t.note(grab(ClipboardSelection.Clipboard));
    t.clear();
    expect(t.releaseAll()).toEqual([]);
  });
});

describe('a session module without rules of its own', () => {
  it('announces its bits while a helper serves it, and forwards everything', () => {
    const gate = plainGate([Capability.ClipboardByDemand]);
    expect(gate.capabilities('absent')).toEqual([]);
    for (const s of ['greeter', 'locked', 'active'] as const) expect(gate.capabilities(s)).toEqual([Capability.ClipboardByDemand]);
    expect(gate.admit({ type: MessageType.ClientDisconnected }, 'absent')).toEqual({ kind: 'forward' });
    expect(gate.lost()).toEqual([]);
  });
});
