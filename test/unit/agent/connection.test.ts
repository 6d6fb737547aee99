import { describe, expect, it } from 'vitest';
import type { ActionModule, ModuleContext } from '../../../src/actions/module.js';
import { AgentConnection } from '../../../src/agent/connection.js';
import {
  Capability,
  CapabilitySet,
  ChunkPort,
  type Message,
  MessageType,
  NO_PEER,
  Reassembler,
  decodeMessage,
  toChunks,
} from '../../../src/protocol/index.js';
import { BlockPool } from '../../../src/protocol/block-pool.js';
import { memoryLogger } from '../../support/log.js';

/** A module that records what reaches it. */
class RecordingModule implements ActionModule {
  readonly host = 'daemon';
  readonly seen: Message[] = [];
  resets = 0;
  constructor(
    readonly name: string,
    readonly capabilities: Capability[],
    readonly handles: MessageType[],
  ) {}
  async start(_ctx: ModuleContext): Promise<void> {}
  async stop(): Promise<void> {}
  handle(m: Message): void {
    this.seen.push(m);
  }
  resetClient(): void {
    this.resets++;
  }
  agentAnnounced?(): void;
}

/** An agent connection whose output is decoded back into messages. */
function setup(modules: ActionModule[], capabilitiesComing?: () => Promise<void> | undefined) {
  const sent: Message[] = [];
  const out = new Reassembler({ message: (raw) => sent.push(decodeMessage(raw, NO_PEER)), error: (e) => { throw e; } });
  const { log, lines } = memoryLogger(true);
  const conn = new AgentConnection(async (chunks) => chunks.forEach((c) => out.push(c)), { log, capabilitiesComing });
  conn.setModules(modules);
  const feed = (m: Message, port = ChunkPort.Client): void => {
    for (const c of toChunks(m, conn.context, port)) conn.receive(c);
  };
  return { conn, sent, lines, feed };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const mouse: Message = { type: MessageType.MouseState, x: 1, y: 2, buttons: 0, displayId: 0 };

describe('AgentConnection', () => {
  it('announces exactly the union of the enabled modules’ bits, with request=1 on open', async () => {
    const a = new RecordingModule('a', [Capability.MouseState], [MessageType.MouseState]);
    const b = new RecordingModule('b', [Capability.MonitorsConfig, Capability.Reply], [MessageType.MonitorsConfig]);
    const { conn, sent } = setup([a, b]);
    conn.opened();
    await flush();
    expect(sent).toHaveLength(1);
    const m = sent[0];
    expect(m?.type === MessageType.AnnounceCapabilities && m.request).toBe(true);
    expect(m?.type === MessageType.AnnounceCapabilities && m.caps.equals(CapabilitySet.of(0, 1, 2, Capability.FileXferDisabled))).toBe(true);
  });

  it('announces FILE_XFER_DISABLED only while no module takes FILE_XFER_START', () => {
    const files = new RecordingModule('file-xfer', [], [MessageType.FileXferStart]);
    const { conn } = setup([files]);
    expect(conn.capabilities.has(Capability.FileXferDisabled)).toBe(false);
    conn.setModules([]);
    expect(conn.capabilities.has(Capability.FileXferDisabled)).toBe(true);
  });

  it('answers request=1 with request=0 and never answers request=0', async () => {
    const { conn, sent, feed } = setup([]);
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) });
    feed({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(6) });
    await flush();
    expect(sent.map((m) => m.type === MessageType.AnnounceCapabilities && m.request)).toEqual([false]);
    expect(conn.context.peerCaps.equals(CapabilitySet.of(6))).toBe(true);
  });

  it('replaces the client’s capability set instead of merging it', () => {
    const { conn, feed } = setup([]);
    feed({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(5, 6) });
    feed({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(17) });
    expect(conn.context.peerCaps.bits()).toEqual([17]);
  });

  it('resets every module’s client state on request=1 and on CLIENT_DISCONNECTED', () => {
    const a = new RecordingModule('a', [], []);
    const { conn, feed } = setup([a]);
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) });
    expect(a.resets).toBe(1);
    feed({ type: MessageType.ClientDisconnected }, ChunkPort.Server);
    expect(a.resets).toBe(2);
    expect(conn.context.peerCaps.bits()).toEqual([]);
  });

  it('takes a client stream cut in the middle of a message for a new client: the half message is dropped, modules reset, the announce answered', async () => {
    const files = new RecordingModule('files', [], [MessageType.FileXferData]);
    const { conn, sent, lines, feed } = setup([files]);
    const data: Message = { type: MessageType.FileXferData, id: 1, data: Buffer.alloc(65536, 0x41) };
    const pieces = toChunks(data, conn.context);
    for (const c of pieces.slice(0, 23)) conn.receive(c);
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) });
    await flush();
    expect(files.seen).toEqual([]);
    expect(files.resets).toBe(2); // the cut, then the announce with request=1
    expect(lines().some((l) => l.includes('MessageCut'))).toBe(true);
    expect(sent).toEqual([{ type: MessageType.AnnounceCapabilities, request: false, caps: conn.capabilities }]);
    feed(data);
    expect(files.seen).toEqual([data]);
  });

  it('gives the new client after a cut none of the answers still waiting for the old one', async () => {
    const written: Buffer[][] = [];
    let release = (): void => undefined;
    const { log } = memoryLogger(true);
    const conn = new AgentConnection((chunks) => new Promise((resolve) => {
      written.push([...chunks]);
      release = resolve;
    }), { log });
    conn.setModules([new RecordingModule('files', [], [MessageType.FileXferData])]);
    const stale: Message = { type: MessageType.FileXferStatus, id: 1, result: 0 };
    conn.send(stale); // being written: goes out whole
    conn.send(stale); // waiting: dropped at the cut
    const pieces = toChunks({ type: MessageType.FileXferData, id: 1, data: Buffer.alloc(65536) }, conn.context);
    for (const c of pieces.slice(0, 5)) conn.receive(c);
    for (const c of toChunks({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) }, conn.context)) conn.receive(c);
    for (let i = 0; i < 3; i++) {
      release();
      await flush();
    }
    const out: Message[] = [];
    const decoder = new Reassembler({ message: (raw) => out.push(decodeMessage(raw, NO_PEER)), error: (e) => { throw e; } });
    for (const c of written.flat()) decoder.push(c);
    expect(out.map((m) => m.type)).toEqual([MessageType.FileXferStatus, MessageType.AnnounceCapabilities]);
  });

  it('sends each message as one chunk, however large, as spice-vdagentd does: its header and a view of its data', async () => {
    const written: Buffer[][] = [];
    const { log } = memoryLogger(true);
    const conn = new AgentConnection(async (chunks) => void written.push([...chunks]), { log });
    const data = Buffer.alloc(100_000, 0x61);
    conn.send({ type: MessageType.Clipboard, selection: 0, dataType: 1, data });
    await flush();
    const [pieces = []] = written;
    expect(pieces).toHaveLength(2);
    const wire = Buffer.concat(pieces);
    expect([wire.readUInt32LE(0), wire.readUInt32LE(4), wire.length]).toEqual([ChunkPort.Client, wire.length - 8, 8 + 20 + 4 + data.length]);
    expect((pieces[1] as Buffer).buffer).toBe(data.buffer);
    const out: Message[] = [];
    const decoder = new Reassembler({ message: (raw) => out.push(decodeMessage(raw, NO_PEER)), error: (e) => { throw e; } }, { maxChunkSize: 0xffffffff });
    decoder.push(wire);
    expect(out).toEqual([{ type: MessageType.Clipboard, selection: 0, dataType: 1, data }]);
  });

  it('frees a clipboard answer read into an oversize buffer of its pool once the port took it, not before', async () => {
    const { log } = memoryLogger(true);
    const blocks = new BlockPool(1024, 4, { freeOversize: true });
    const taken: Buffer[] = [];
    let release = (): void => undefined;
    const port = (chunks: readonly Buffer[]): Promise<void> => {
      taken.push(Buffer.concat(chunks));
      return new Promise((resolve) => (release = resolve));
    };
    const conn = new AgentConnection(port, { log, transferBlocks: blocks });
    const data = blocks.take(100_000).fill(0x61);
    conn.send({ type: MessageType.Clipboard, selection: 0, dataType: 1, data });
    await flush();
    expect([taken.length, data.length]).toEqual([1, 100_000]);
    release();
    await flush();
    expect(data.length).toBe(0);
    const out: Message[] = [];
    const decoder = new Reassembler({ message: (raw) => out.push(decodeMessage(raw, NO_PEER)), error: (e) => { throw e; } }, { maxChunkSize: 0xffffffff });
    decoder.push(taken[0] as Buffer);
    expect(out).toEqual([{ type: MessageType.Clipboard, selection: 0, dataType: 1, data: Buffer.alloc(100_000, 0x61) }]);
  });

  it('frees the clipboard answers still queued when the port closes, the one being written once the port is done with it', async () => {
    const { log } = memoryLogger(true);
    const blocks = new BlockPool(1024, 4, { freeOversize: true });
    let fail = (_err: Error): void => undefined;
    const conn = new AgentConnection(() => new Promise((_resolve, reject) => (fail = reject)), { log, transferBlocks: blocks });
    const [written, waiting] = [blocks.take(100_000), blocks.take(100_000)];
    expect(conn.send({ type: MessageType.Clipboard, selection: 0, dataType: 1, data: written })).toBe(true);
    expect(conn.send({ type: MessageType.Clipboard, selection: 0, dataType: 1, data: waiting })).toBe(true);
    await flush();
    conn.closed();
    expect([written.length, waiting.length]).toEqual([100_000, 0]);
    fail(new Error('ECANCELED')); // a closed port rejects the write it had
    await flush();
    expect([written.length, waiting.length]).toEqual([0, 0]);
  });

  it('is caught up again once a freed answer that put it behind was written', async () => {
    const { log } = memoryLogger(true);
    const blocks = new BlockPool(1024, 4, { freeOversize: true });
    let release = (): void => undefined;
    const conn = new AgentConnection(() => new Promise((resolve) => (release = resolve)), { log, transferBlocks: blocks, maxQueuedBytes: 10_000 });
    const flow: boolean[] = [];
    conn.on('behind', (behind) => flow.push(behind));
    conn.send({ type: MessageType.Clipboard, selection: 0, dataType: 1, data: blocks.take(8_000) });
    await flush();
    release();
    await flush();
    expect(flow).toEqual([true, false]);
  });

  it('dispatches by message type, whatever chunk port it came on', () => {
    const a = new RecordingModule('mouse', [Capability.MouseState], [MessageType.MouseState]);
    const { feed } = setup([a]);
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(Capability.MouseState) });
    feed(mouse, ChunkPort.Server);
    feed(mouse, ChunkPort.Client); // qemu-vdagent sends MOUSE_STATE on port 1
    expect(a.seen).toHaveLength(2);
  });

  describe('pointer input a client-role peer sends before its capabilities (qemu-vdagent replaying what it queued)', () => {
    const caps = (request: boolean): Message => ({ type: MessageType.AnnounceCapabilities, request, caps: CapabilitySet.of(Capability.MouseState) });
    const click: Message = { type: MessageType.MouseState, x: 7, y: 8, buttons: 0x02, displayId: 0 };

    it('is dropped until the client announces, then input is applied again', () => {
      const a = new RecordingModule('mouse', [Capability.MouseState], [MessageType.MouseState]);
      const { conn, feed, lines } = setup([a]);
      conn.opened();
      feed(click);
      feed(mouse);
      expect(a.seen).toEqual([]);
      feed(caps(false));
      feed(mouse);
      expect(a.seen).toEqual([mouse]);
      expect(lines().filter((l) => l.includes('2 MOUSE_STATE from the client before its capabilities dropped'))).toHaveLength(1);
    });

    it('is dropped again after the port reopens and after CLIENT_DISCONNECTED', () => {
      const a = new RecordingModule('mouse', [Capability.MouseState], [MessageType.MouseState]);
      const { conn, feed } = setup([a]);
      feed(caps(true));
      conn.closed();
      conn.opened();
      feed(click);
      feed(caps(true));
      feed({ type: MessageType.ClientDisconnected }, ChunkPort.Server);
      feed(click);
      expect(a.seen).toEqual([]);
    });

    it('does not hold back spice-server’s own MOUSE_STATE (port 2), which is live whether or not a client announced', () => {
      const a = new RecordingModule('mouse', [Capability.MouseState], [MessageType.MouseState]);
      const { conn, feed } = setup([a]);
      conn.opened();
      feed(mouse, ChunkPort.Server);
      expect(a.seen).toEqual([mouse]);
    });
  });

  it('consumes messages no enabled module handles, logging once per type', () => {
    const { feed, lines } = setup([]);
    for (let i = 0; i < 5; i++) feed(mouse);
    feed({ type: MessageType.MaxClipboard, max: 5 });
    const dropped = lines().filter((l) => l.includes('no enabled module handles it'));
    expect(dropped).toHaveLength(2);
  });

  it('drops a message for a switched-off module before decoding, whatever layout the client used for it', () => {
    const { conn, lines } = setup([]);
    // The client announced CLIPBOARD_SELECTION, but a client that lost ours sends no prefix: 4 bytes, not 8.
    for (const c of toChunks({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.of(Capability.ClipboardSelection) }, conn.context)) conn.receive(c);
    for (const c of toChunks({ type: MessageType.ClipboardRequest, selection: 0, dataType: 1 }, NO_PEER)) conn.receive(c);
    expect(lines().filter((l) => l.includes('CLIPBOARD_REQUEST dropped: no enabled module handles it'))).toHaveLength(1);
    expect(lines().some((l) => l.includes('BadPayloadSize'))).toBe(false);
  });

  it('keeps serving when a module throws', async () => {
    const a = new RecordingModule('bad', [], [MessageType.MouseState]);
    a.handle = () => {
      throw new Error('boom');
    };
    const { feed, sent, lines } = setup([a]);
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.empty });
    feed(mouse);
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.empty });
    await flush();
    expect(sent).toHaveLength(2);
    expect(lines().some((l) => l.includes('bad: Error: boom'))).toBe(true);
  });

  it('logs every decoded message with --debug', () => {
    const { feed, lines } = setup([new RecordingModule('m', [], [MessageType.MouseState])]);
    feed(mouse, ChunkPort.Server);
    expect(lines().some((l) => l.includes('<- MOUSE_STATE x=1 y=2'))).toBe(true);
  });

  it('tells every module each time it announces: on open, in answer to request=1, and when its modules change', () => {
    const a = new RecordingModule('a', [], []);
    let told = 0;
    a.agentAnnounced = () => told++;
    const { conn, feed } = setup([a]);
    conn.opened();
    feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.empty });
    feed({ type: MessageType.AnnounceCapabilities, request: false, caps: CapabilitySet.empty });
    conn.setModules([a], true);
    expect(told).toBe(3);
  });

  it('re-announces with request=0 when the enabled modules change', async () => {
    const { conn, sent } = setup([]);
    conn.setModules([new RecordingModule('m', [Capability.MouseState], [])], true);
    await flush();
    const m = sent[0];
    expect(m?.type === MessageType.AnnounceCapabilities && !m.request && m.caps.bits()).toEqual([0, Capability.FileXferDisabled]);
  });

  describe('while its capabilities are coming (a session helper starting)', () => {
    /** A connection whose capabilities are coming until `arrive()`. */
    function coming(modules: ActionModule[]) {
      let arrive = (): void => {};
      let pending: Promise<void> | undefined = new Promise<void>((resolve) => (arrive = resolve));
      const s = setup(modules, () => pending);
      return {
        ...s,
        arrive: () => {
          pending = undefined;
          arrive();
        },
      };
    }
    const announcements = (sent: Message[]) => sent.flatMap((m) => (m.type === MessageType.AnnounceCapabilities ? [m] : []));

    it('announces on open at once, without waiting', async () => {
      const { conn, sent } = coming([]);
      conn.opened();
      await flush();
      expect(announcements(sent).map((m) => m.request)).toEqual([true]);
    });

    it('answers a client’s request once they have come, with them, and does not announce them separately', async () => {
      const a = new RecordingModule('a', [Capability.MouseState], [MessageType.MouseState]);
      const b = new RecordingModule('b', [Capability.ClipboardByDemand], [MessageType.Clipboard]);
      const { conn, sent, feed, arrive } = coming([a]);
      feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) });
      await flush();
      expect(announcements(sent)).toEqual([]);
      conn.setModules([a, b], true);
      await flush();
      expect(announcements(sent)).toEqual([]);
      arrive();
      await flush();
      const answers = announcements(sent);
      expect(answers.map((m) => m.request)).toEqual([false]);
      expect(answers[0]?.caps.equals(CapabilitySet.of(Capability.MouseState, Capability.ClipboardByDemand, Capability.FileXferDisabled))).toBe(true);
      conn.setModules([a], true);
      await flush();
      expect(announcements(sent)).toHaveLength(2);
    });

    it('waits once, however many clients ask while they come, and answers the last one once', async () => {
      let waits = 0;
      let arrive = (): void => {};
      const pending = new Promise<void>((resolve) => (arrive = resolve));
      const { sent, feed } = setup([], () => (waits++, pending));
      for (let i = 0; i < 10_000; i++) feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) });
      arrive();
      await flush();
      expect(waits).toBe(1);
      expect(announcements(sent).map((m) => m.request)).toEqual([false]);
    });

    it('drops the held answer when the client leaves or the port reopens', async () => {
      const { conn, sent, feed, arrive } = coming([]);
      feed({ type: MessageType.AnnounceCapabilities, request: true, caps: CapabilitySet.of(5) });
      feed({ type: MessageType.ClientDisconnected }, ChunkPort.Server);
      conn.opened();
      arrive();
      await flush();
      expect(announcements(sent).map((m) => m.request)).toEqual([true]);
    });
  });
});
