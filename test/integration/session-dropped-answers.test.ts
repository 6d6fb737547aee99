import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { BUILTIN_MODULES } from '../../src/actions/registry.js';
import { ClipboardModule } from '../../src/actions/clipboard/module.js';
import { AgentConnection } from '../../src/agent/connection.js';
import { DesktopState } from '../../src/desktop/state.js';
import { Capability, CapabilitySet, ClipboardSelection, ClipboardType, decodeMessage, type Message, MessageType, NO_PEER, Reassembler } from '../../src/protocol/index.js';
import { BlockPool, TRANSFER_BLOCK } from '../../src/protocol/block-pool.js';
import { SessionBridge } from '../../src/session/bridge.js';
import { type HelperCommand, SessionHelper } from '../../src/session/helper.js';
import type { Desktop } from '../../src/session/source.js';
import { CHANNEL_PROTOCOL, type ProgramVersion } from '../../src/session/version.js';
import { memoryLogger } from '../support/log.js';

/** A helper process that answers the clipboard at once (see the fixture). */
const FIXTURE = fileURLToPath(new URL('../fixtures/answering-helper.mjs', import.meta.url));
const VERSION: ProgramVersion = { package: '0.2.0', channel: CHANNEL_PROTOCOL };
/** Larger than a transfer block: read from the helper into an oversize buffer of the bridge's pool. */
const SIZE = 200_000;

const answer = (data: Buffer): Message => ({ type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data });

/** The messages a client reads from what the port was given. */
function decode(written: readonly Buffer[]): Message[] {
  const out: Message[] = [];
  const decoder = new Reassembler({ message: (raw) => out.push(decodeMessage(raw, NO_PEER)), error: (e) => { throw e; } }, { maxChunkSize: 0xffffffff });
  for (const w of written) decoder.push(w);
  return out;
}

const FIXTURE_DESKTOP: Desktop = { id: 'fixture', greeter: false, locked: false, environment: async () => ({}) };

/** How to start the fixture helper serving `modules` (comma-separated). */
const fixtureHelper = (modules: string): HelperCommand => ({ execPath: process.execPath, args: [FIXTURE, JSON.stringify(VERSION), modules, String(SIZE)], version: VERSION });

const bridges: SessionBridge[] = [];
const helpers: SessionHelper[] = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) await b.stop();
  for (const h of helpers.splice(0)) await h.stop();
});

/** The buffer of the pool `taken` spies on that the helper's answer is read into, once its frame's header arrived. */
async function answerBuffer(taken: MockInstance<(size: number) => Buffer>): Promise<Buffer> {
  const index = (): number => taken.mock.calls.findIndex(([size]) => size === SIZE);
  await expect.poll(index, { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
  return taken.mock.results[index()]?.value as Buffer;
}

/**
 * A bridge to a fixture helper that serves `modules` and sends one clipboard answer, its clipboard
 * proxy sending through a real agent connection on `write`: the buffer the answer was read into.
 */
async function answeredThrough(modules: string, write: (chunks: readonly Buffer[]) => Promise<void>, maxQueuedBytes?: number) {
  const { log } = memoryLogger();
  const bridge = new SessionBridge({
    source: { start: async (onChange) => onChange(FIXTURE_DESKTOP), stop: async () => undefined },
    command: fixtureHelper(modules),
    log,
    desktop: new DesktopState(),
  });
  bridges.push(bridge);
  const taken = vi.spyOn(bridge.blocks, 'take');
  const conn = new AgentConnection(write, { log, transferBlocks: bridge.blocks, maxQueuedBytes });
  const definition = BUILTIN_MODULES.find((d) => d.name === 'clipboard');
  if (!definition) throw new Error('no clipboard module');
  const proxy = bridge.proxy(definition, new ClipboardModule());
  await proxy.start({ send: (m) => conn.send(m), clientCaps: () => CapabilitySet.of(Capability.ClipboardByDemand), log, settings: new Map(), options: {} });
  return {
    conn,
    /** Starts the bridge: the buffer the helper's answer is read into. */
    received: async (): Promise<Buffer> => {
      await bridge.start();
      return answerBuffer(taken);
    },
  };
}

describe('a clipboard answer the daemon reads from a real helper process', () => {
  it('is freed once the port wrote it, and the client gets it whole', async () => {
    const written: Buffer[] = [];
    const { received } = await answeredThrough('clipboard', async (chunks) => void written.push(Buffer.concat(chunks)));
    const data = await received();
    await expect.poll(() => data.length).toBe(0);
    expect(decode(written)).toEqual([answer(Buffer.alloc(SIZE, 0x61))]);
  });

  it('is freed at once when the helper sends it for a module it does not serve', async () => {
    const { received } = await answeredThrough('', () => new Promise(() => undefined));
    const data = await received();
    await expect.poll(() => data.length).toBe(0);
  });

  it('is freed at once when the output queue refuses it, and NONE answers instead', async () => {
    const written: Buffer[] = [];
    const writes: (() => void)[] = [];
    const port = (chunks: readonly Buffer[]): Promise<void> => new Promise((resolve) => writes.push(() => resolve(void written.push(Buffer.concat(chunks)))));
    const { conn, received } = await answeredThrough('clipboard', port, 150_000);
    const waiting = Buffer.alloc(100_000, 0x62);
    expect(conn.send(answer(waiting))).toBe(true);
    const data = await received();
    await expect.poll(() => data.length).toBe(0);
    writes.shift()?.();
    await expect.poll(() => writes.length).toBe(1);
    writes.shift()?.();
    expect(decode(written)).toEqual([answer(waiting), { ...answer(Buffer.alloc(0)), dataType: ClipboardType.None }]);
  });

  it('is freed at once when nobody listens to its helper any more (the session changed meanwhile)', async () => {
    const blocks = new BlockPool(TRANSFER_BLOCK, 4, { freeOversize: true });
    const taken = vi.spyOn(blocks, 'take');
    const helper = new SessionHelper(FIXTURE_DESKTOP, fixtureHelper('clipboard'), memoryLogger().log, blocks);
    helpers.push(helper);
    helper.start();
    const data = await answerBuffer(taken);
    await expect.poll(() => data.length).toBe(0);
  });
});
