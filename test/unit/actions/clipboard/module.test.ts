import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_OWED_REQUESTS } from '../../../../src/actions/clipboard/gate.js';
import { ClipboardModule, DEFAULT_READ_LIMIT } from '../../../../src/actions/clipboard/module.js';
import {
  Capability,
  CapabilitySet,
  ClipboardSelection,
  ClipboardType,
  type ClipboardMessage,
  type Message,
  MessageType,
} from '../../../../src/protocol/index.js';
import { MemoryClipboard } from '../../../support/memory-clipboard.js';
import { collectingContext } from '../../../support/module-context.js';

/** spice-gtk's clipboard capabilities: by demand, selections, no release on regrab, grab serials. */
const SPICE_GTK = [Capability.ClipboardByDemand, Capability.ClipboardSelection, Capability.ClipboardNoReleaseOnRegrab, Capability.ClipboardGrabSerial];

const { Clipboard: CLIP, Primary: PRIMARY } = ClipboardSelection;

describe('the clipboard module', () => {
  let desktop: MemoryClipboard;
  let module: ClipboardModule;
  let sent: Message[];
  let caps: CapabilitySet;

  async function start(settings: Record<string, string> = {}, clientCaps = SPICE_GTK): Promise<void> {
    desktop = new MemoryClipboard();
    module = new ClipboardModule({ backend: () => desktop, pasteTimeoutMs: 50 });
    const c = collectingContext(settings);
    caps = CapabilitySet.of(...clientCaps);
    c.ctx.clientCaps = () => caps;
    sent = c.sent;
    await module.start(c.ctx);
  }

  const client = (m: Message): void => void module.handle(m);
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  const answers = (): ClipboardMessage[] => sent.filter((m): m is ClipboardMessage => m.type === MessageType.Clipboard);

  beforeEach(() => start());

  it('provides bits 5, 6, 8, 10, 16 and 17', () => {
    expect([...module.capabilities].sort((a, b) => a - b)).toEqual([5, 6, 8, 10, 16, 17]);
  });

  describe('when a guest application copies', () => {
    it('grabs with serial 0, then 1 on the next copy, and never releases in between (bit 16)', () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a', 'image/png': 'png' });
      desktop.copy('clipboard', { 'text/plain': 'b' });
      expect(sent).toEqual([
        { type: MessageType.ClipboardGrab, selection: CLIP, serial: 0, types: [ClipboardType.Utf8Text, ClipboardType.ImagePng] },
        { type: MessageType.ClipboardGrab, selection: CLIP, serial: 1, types: [ClipboardType.Utf8Text] },
      ]);
    });

    it('keeps one serial counter per selection', () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      desktop.copy('primary', { UTF8_STRING: 'b' });
      expect(sent.map((m) => m.type === MessageType.ClipboardGrab && [m.selection, m.serial])).toEqual([
        [CLIP, 0],
        [PRIMARY, 0],
      ]);
    });

    it('sends no serial to a client without GRAB_SERIAL', async () => {
      await start({}, [Capability.ClipboardByDemand]);
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      expect(sent).toEqual([{ type: MessageType.ClipboardGrab, selection: CLIP, types: [ClipboardType.Utf8Text] }]);
    });

    it('tells a client without CLIPBOARD_SELECTION nothing of PRIMARY', async () => {
      await start({}, [Capability.ClipboardByDemand]);
      desktop.copy('primary', { UTF8_STRING: 'a' });
      expect(sent).toEqual([]);
    });

    it('follows PRIMARY only when the primary setting allows', async () => {
      await start({ primary: 'off' });
      desktop.copy('primary', { UTF8_STRING: 'a' });
      expect(sent).toEqual([]);
    });

    it('waits for a client that announced by-demand before it grabs', async () => {
      await start({}, []);
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      expect(sent).toEqual([]);
      caps = CapabilitySet.of(...SPICE_GTK);
      module.clientAnnounced();
      expect(sent).toEqual([{ type: MessageType.ClipboardGrab, selection: CLIP, serial: 0, types: [ClipboardType.Utf8Text] }]);
    });

    it('releases when the owner goes without a successor, or offers nothing the protocol carries', () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      desktop.clear('clipboard');
      desktop.copy('primary', { UTF8_STRING: 'a' });
      desktop.copy('primary', { 'application/x-kde-cutselection': 'x' });
      desktop.clear('clipboard');
      expect(sent.map((m) => [m.type, 'selection' in m && m.selection])).toEqual([
        [MessageType.ClipboardGrab, CLIP],
        [MessageType.ClipboardRelease, CLIP],
        [MessageType.ClipboardGrab, PRIMARY],
        [MessageType.ClipboardRelease, PRIMARY],
      ]);
    });
  });

  describe('a CLIPBOARD_REQUEST from the client', () => {
    const request = (dataType: ClipboardType, selection = CLIP): Message => ({ type: MessageType.ClipboardRequest, selection, dataType });

    it('is answered with the guest owner’s UTF-8 text, trailing NULs removed', async () => {
      desktop.copy('clipboard', { 'text/plain;charset=utf-8': 'héllo\n\0' });
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers()).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('héllo\n') }]);
    });

    it('turns Latin-1 STRING data into UTF-8 when the owner has nothing better', async () => {
      desktop.copy('clipboard', { STRING: Buffer.from([0x63, 0x61, 0x66, 0xe9]) });
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers()[0]?.data).toEqual(Buffer.from('café'));
    });

    it(`is answered NONE when Latin-1 text grows past ${DEFAULT_READ_LIMIT} bytes as UTF-8, the helper's largest answer`, async () => {
      desktop.copy('clipboard', { STRING: Buffer.alloc(DEFAULT_READ_LIMIT / 2 + 1, 0xe9) });
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers()).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.None, data: Buffer.alloc(0) }]);
    });

    it('is not read from the guest when its client left before the reads asked for earlier ended', async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      let reads = 0;
      const read = desktop.read.bind(desktop);
      desktop.read = (...args) => (reads++, read(...args));
      for (let i = 0; i < 10; i++) client(request(ClipboardType.Utf8Text));
      module.resetClient();
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(reads).toBe(1);
      expect(answers().map((m) => m.data.toString())).toEqual(['a']);
    });

    it(`is answered NONE at once while ${MAX_OWED_REQUESTS} reads are under way or wait`, async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a', 'image/png': 'p' });
      desktop.read = () => new Promise<Buffer>(() => undefined); // an owner that never answers
      client(request(ClipboardType.Utf8Text)); // under way for a client that then leaves
      await settle();
      module.resetClient();
      for (let i = 1; i < MAX_OWED_REQUESTS; i++) client(request(ClipboardType.ImagePng));
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers()).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.None, data: Buffer.alloc(0) }]);
    });

    it('lets the reads waiting for a client that left go at once: the next client waits only for the read under way', async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      const read = desktop.read.bind(desktop);
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let reads = 0;
      desktop.read = async (...args) => (reads++ === 0 ? await held : undefined, read(...args));
      for (let i = 0; i < MAX_OWED_REQUESTS; i++) client(request(ClipboardType.Utf8Text));
      await settle();
      module.resetClient();
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers()).toEqual([]);
      release();
      await settle();
      expect(reads).toBe(2);
      expect(answers().map((m) => [m.dataType, m.data.toString()])).toEqual([[ClipboardType.Utf8Text, 'a']]);
    });

    it('is answered NONE for a type the owner lacks, when nobody owns, or for a selection not followed', async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a' });
      client(request(ClipboardType.ImagePng));
      client(request(ClipboardType.Utf8Text, PRIMARY));
      client(request(ClipboardType.Utf8Text, ClipboardSelection.Secondary));
      await settle();
      expect(answers().map((m) => [m.selection, m.dataType, m.data.length])).toEqual([
        [CLIP, ClipboardType.None, 0],
        [PRIMARY, ClipboardType.None, 0],
        [ClipboardSelection.Secondary, ClipboardType.None, 0],
      ]);
    });

    it('gets the requested type with no bytes when the data is over MAX_CLIPBOARD (spec §7.7)', async () => {
      desktop.copy('clipboard', { 'image/png': Buffer.alloc(11) });
      client({ type: MessageType.MaxClipboard, max: 10 });
      client(request(ClipboardType.ImagePng));
      await settle();
      expect(answers()).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.ImagePng, data: Buffer.alloc(0) }]);
    });

    it('is answered once each when several arrive before the first answer (spec §7.5 rule 7)', async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a', 'image/png': 'p' });
      client(request(ClipboardType.Utf8Text));
      client(request(ClipboardType.ImagePng));
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers().map((m) => m.dataType)).toEqual([ClipboardType.Utf8Text, ClipboardType.ImagePng, ClipboardType.Utf8Text]);
    });
    it('is answered with the data when the guest owner is reported again during the read (Wayland reports one replacement twice), NONE when the client took the clipboard meanwhile', async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'copied once' });
      client(request(ClipboardType.Utf8Text));
      desktop.copy('clipboard', { UTF8_STRING: 'copied once' });
      await settle();
      expect(answers()).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('copied once') }]);
      expect(sent.filter((m) => m.type === MessageType.ClipboardGrab).map((m) => m.type === MessageType.ClipboardGrab && m.serial)).toEqual([0, 1]);
      client(request(ClipboardType.Utf8Text));
      client({ type: MessageType.ClipboardGrab, selection: CLIP, serial: 2, types: [ClipboardType.Utf8Text] });
      await settle();
      expect(answers()[1]).toEqual({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.None, data: Buffer.alloc(0) });
    });

    it('is not answered once its client is gone (a new client, CLIENT_DISCONNECTED, a cut stream): the next one did not ask', async () => {
      desktop.copy('clipboard', { UTF8_STRING: 'for the old client' });
      client(request(ClipboardType.Utf8Text));
      module.resetClient();
      await settle();
      expect(answers()).toEqual([]);
      client(request(ClipboardType.Utf8Text));
      await settle();
      expect(answers()).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('for the old client') }]);
    });
  });

  describe('a CLIPBOARD_GRAB from the client', () => {
    const grab = (serial: number | undefined, types = [ClipboardType.Utf8Text], selection = CLIP): Message =>
      serial === undefined ? { type: MessageType.ClipboardGrab, selection, types } : { type: MessageType.ClipboardGrab, selection, serial, types };

    it('makes the agent the local owner offering the client’s types as desktop targets', () => {
      client(grab(0, [ClipboardType.Utf8Text, ClipboardType.ImagePng, ClipboardType.FileList]));
      expect(desktop.claims.get('clipboard')?.targets).toEqual(['UTF8_STRING', 'text/plain;charset=utf-8', 'text/plain', 'TEXT', 'image/png']);
    });

    it('is accepted with the expected serial or the one before it, and discarded otherwise (spec §7.4)', () => {
      client(grab(5)); // stale: the counter is 0
      expect(desktop.claims.has('clipboard')).toBe(false);
      client(grab(0)); // r == s: accepted, s = 1
      client(grab(0)); // r == s − 1: the client won a simultaneous grab, s stays 1
      client(grab(1)); // r == s: accepted, s = 2
      expect(desktop.claims.has('clipboard')).toBe(true);
      desktop.disown('clipboard');
      client(grab(1)); // r == s − 1 again
      expect(desktop.claims.has('clipboard')).toBe(true);
      desktop.disown('clipboard');
      client(grab(3));
      expect(desktop.claims.has('clipboard')).toBe(false);
    });

    it('after we announce, takes a grab with serial 0 as the client restarting its count (qemu-vdagent restarts on every announcement it receives)', () => {
      desktop.copy('clipboard', { UTF8_STRING: 'a' }); // agent sends serial 0, counter 1
      desktop.copy('clipboard', { UTF8_STRING: 'b' }); // serial 1, counter 2
      desktop.copy('clipboard', { UTF8_STRING: 'c' }); // serial 2, counter 3
      client(grab(0)); // no announcement since: a stale grab
      expect(desktop.claims.has('clipboard')).toBe(false);
      module.agentAnnounced();
      client(grab(0)); // the client counts from 0 again: accepted, counter 1
      expect(desktop.claims.has('clipboard')).toBe(true);
      desktop.disown('clipboard');
      client(grab(1)); // and it goes on from there
      expect(desktop.claims.has('clipboard')).toBe(true);
    });

    it('after we announce, still judges a grab with another serial by the counter, and takes serial 0 only once', () => {
      for (const t of ['a', 'b', 'c']) desktop.copy('clipboard', { UTF8_STRING: t }); // counter 3
      module.agentAnnounced();
      client(grab(1)); // neither 0 nor 2 or 3: stale
      client(grab(0)); // the announcement's allowance went with the grab before
      expect(desktop.claims.has('clipboard')).toBe(false);
    });

    it('lets the client win a simultaneous grab', () => {
      desktop.copy('clipboard', { UTF8_STRING: 'guest' }); // agent sends serial 0, counter 1
      client(grab(0)); // the client grabbed with 0 too
      expect(desktop.claims.has('clipboard')).toBe(true);
    });

    it('serves a local paste by asking the client, only then (by demand)', async () => {
      client(grab(0));
      expect(sent).toEqual([]);
      const pasted = desktop.paste('clipboard', 'UTF8_STRING');
      expect(sent).toEqual([{ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text }]);
      client({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('from the host\0') });
      expect(await pasted).toEqual(Buffer.from('from the host'));
    });

    it('gives a local paste nothing when the client answers NONE, never answers, or releases', async () => {
      client(grab(0));
      const refused = desktop.paste('clipboard', 'UTF8_STRING');
      client({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.None, data: Buffer.alloc(0) });
      expect(await refused).toBeNull();
      expect(await desktop.paste('clipboard', 'UTF8_STRING')).toBeNull(); // the 50 ms paste timeout
      const released = desktop.paste('clipboard', 'UTF8_STRING');
      client({ type: MessageType.ClipboardRelease, selection: CLIP });
      expect(await released).toBeNull();
      expect(desktop.claims.has('clipboard')).toBe(false);
    });

    it('drops data nobody asked for', () => {
      client({ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.Utf8Text, data: Buffer.from('x') });
      expect(sent).toEqual([]);
    });
  });

  it('forgets serials and the client’s ownership for a new client, and grabs again for it', () => {
    desktop.copy('primary', { UTF8_STRING: 'p' });
    client({ type: MessageType.ClipboardGrab, selection: CLIP, serial: 0, types: [ClipboardType.Utf8Text] });
    module.resetClient();
    expect(desktop.claims.has('clipboard')).toBe(false);
    module.clientAnnounced();
    expect(sent.at(-1)).toEqual({ type: MessageType.ClipboardGrab, selection: PRIMARY, serial: 0, types: [ClipboardType.Utf8Text] });
  });

  it('keeps the clipboard from a client that never announced CLIPBOARD_BY_DEMAND: its grab takes nothing, its request is answered NONE', async () => {
    await start({}, []);
    desktop.copy('clipboard', { UTF8_STRING: 'guest secret' });
    client({ type: MessageType.ClipboardGrab, selection: CLIP, types: [ClipboardType.Utf8Text] });
    expect(desktop.claims.has('clipboard')).toBe(false);
    client({ type: MessageType.ClipboardRequest, selection: CLIP, dataType: ClipboardType.Utf8Text });
    await settle();
    expect(sent).toEqual([{ type: MessageType.Clipboard, selection: CLIP, dataType: ClipboardType.None, data: Buffer.alloc(0) }]);
  });

  it('closes the desktop connection when stopped', async () => {
    await module.stop();
    expect(desktop.closed).toBe(true);
  });
});
