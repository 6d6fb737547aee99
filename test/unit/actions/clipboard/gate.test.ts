import { describe, expect, it } from 'vitest';
import { ClipboardGate, MAX_OWED_REQUESTS } from '../../../../src/actions/clipboard/gate.js';
import { Capability, CapabilitySet, ClipboardSelection, ClipboardType, type Message, MessageType } from '../../../../src/protocol/index.js';

const BITS = [Capability.ClipboardByDemand, Capability.ClipboardSelection];
const { Clipboard: CLIP, Primary: PRIMARY, Secondary: SECONDARY } = ClipboardSelection;
const grab = (selection: ClipboardSelection): Message => ({ type: MessageType.ClipboardGrab, selection, types: [ClipboardType.Utf8Text] });
const release = (selection: ClipboardSelection): Message => ({ type: MessageType.ClipboardRelease, selection });
const request = (selection: ClipboardSelection): Message => ({ type: MessageType.ClipboardRequest, selection, dataType: ClipboardType.Utf8Text });
const none = (selection: ClipboardSelection): Message => ({ type: MessageType.Clipboard, selection, dataType: ClipboardType.None, data: Buffer.alloc(0) });

describe('the daemon’s side of the clipboard', () => {
  it('announces the clipboard bits only while a helper serves the module', () => {
    const gate = new ClipboardGate(BITS);
    expect(gate.capabilities('absent')).toEqual([]);
    for (const s of ['greeter', 'locked', 'active'] as const) expect(gate.capabilities(s)).toEqual(BITS);
  });

  it('answers a request NONE itself when no helper serves it, or while the session is locked', () => {
    const gate = new ClipboardGate(BITS);
    expect(gate.admit(request(PRIMARY), 'absent')).toEqual({ kind: 'reply', message: none(PRIMARY) });
    expect(gate.admit(request(CLIP), 'locked')).toEqual({ kind: 'reply', message: none(CLIP) });
    expect(gate.admit(grab(CLIP), 'locked')).toEqual({ kind: 'forward' });
    expect(gate.admit(request(CLIP), 'active')).toEqual({ kind: 'forward' });
  });

  it('releases each selection the helper still holds when it goes, once (spec §7.5)', () => {
    const gate = new ClipboardGate(BITS);
    for (const m of [grab(CLIP), grab(PRIMARY), grab(CLIP), grab(SECONDARY), release(SECONDARY)]) gate.sent(m);
    expect(gate.lost()).toEqual([release(CLIP), release(PRIMARY)]);
    expect(gate.lost()).toEqual([]);
  });

  it('answers NONE for each request the helper still owed when it went', () => {
    const gate = new ClipboardGate(BITS);
    gate.admit(request(CLIP), 'active');
    gate.admit(request(PRIMARY), 'active');
    gate.admit(request(CLIP), 'active');
    gate.sent({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('a') });
    expect(gate.lost()).toEqual([none(PRIMARY), none(CLIP)]);
  });

  it('answers NONE itself once the helper owes MAX_OWED_REQUESTS, so a flood cannot queue without bound', () => {
    const gate = new ClipboardGate(BITS);
    for (let i = 0; i < MAX_OWED_REQUESTS; i++) expect(gate.admit(request(CLIP), 'active')).toEqual({ kind: 'forward' });
    expect(gate.admit(request(CLIP), 'active')).toEqual({ kind: 'reply', message: none(CLIP) });
    gate.sent({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('a') });
    expect(gate.admit(request(CLIP), 'active')).toEqual({ kind: 'forward' });
  });

  it('answers NONE in place of a clipboard answer the output queue refused, so the request still gets one', () => {
    const gate = new ClipboardGate(BITS);
    expect(gate.refused({ type: MessageType.Clipboard, selection: PRIMARY, dataType: ClipboardType.ImagePng, data: Buffer.alloc(9) })).toEqual(none(PRIMARY));
    expect(gate.refused(grab(CLIP))).toBeUndefined();
  });

  it('forgets grabs and open requests when the client that saw them is gone', () => {
    const gate = new ClipboardGate(BITS);
    gate.sent(grab(CLIP));
    gate.admit(request(CLIP), 'active');
    gate.resetClient();
    expect(gate.lost()).toEqual([]);
  });

  it('lets a grab, release or request of the helper reach only a client that announced CLIPBOARD_BY_DEMAND; answers always', () => {
    const gate = new ClipboardGate(BITS);
    const announced = CapabilitySet.of(Capability.ClipboardByDemand, Capability.ClipboardSelection);
    // What the helper made before it heard that the client left is for the old client.
    for (const m of [grab(CLIP), release(CLIP), request(CLIP)]) {
      expect(gate.passes(m, CapabilitySet.empty)).toBe(false);
      expect(gate.passes(m, announced)).toBe(true);
    }
    expect(gate.passes(none(CLIP), CapabilitySet.empty)).toBe(true);
  });
});
