import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Capability, ChunkPort, MessageType, type AudioVolumeSyncMessage } from '../../src/protocol/index.js';
import { SPICE_GTK_CAPS } from '../../src/sim/simulator.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { chunk, rawMessage } from '../support/frames.js';
import type { Harness } from '../support/harness.js';
import { startPipeWire, startPulseAudio, type SoundServer, type SoundServerStarter } from '../support/sound-servers.js';
import { helperPid } from '../support/proc.js';
import { startDaemonOnSeat, startSeat, type Seat } from '../support/seat.js';
import { SeededRandom } from '../support/seeded-random.js';

/** The servers the module is tried against, each with the test user it runs as. */
const SERVERS: [string, SoundServerStarter, string][] = [
  ['PulseAudio 16', startPulseAudio, 'vdagent-pulse'],
  ['PipeWire 0.3 (pipewire-pulse, WirePlumber)', startPipeWire, 'vdagent-pipewire'],
];

/** The per-channel volumes pactl prints (`front-left: 32768 /  50% / …`), in the server's units. */
const volumes = (pactlOutput: string): number[] => [...pactlOutput.matchAll(/[\w-]+: (\d+) \//g)].map((m) => Number(m[1]));
const sync = (volumes: number[], more: Partial<AudioVolumeSyncMessage> = {}): AudioVolumeSyncMessage => ({ type: MessageType.AudioVolumeSync, isPlayback: true, mute: false, volumes, ...more });

describe.runIf(process.getuid?.() === 0).each(SERVERS)('audio volume from the client, through the real agent and helper, on a real %s of the session user', (_name, startServerAs, userName) => {
  let root: string;
  let seat: Seat;
  let runtimeDir: string;
  let agent: Harness;
  let pulse: SoundServer | undefined;

  /** The sink's and the source's state as the server reports them. */
  const sink = async (): Promise<{ volumes: number[]; mute: string }> => ({ volumes: volumes(await pulse!.pactl('get-sink-volume', '@DEFAULT_SINK@')), mute: (await pulse!.pactl('get-sink-mute', '@DEFAULT_SINK@')).trim() });
  const source = async (): Promise<{ volumes: number[]; mute: string }> => ({ volumes: volumes(await pulse!.pactl('get-source-volume', '@DEFAULT_SOURCE@')), mute: (await pulse!.pactl('get-source-mute', '@DEFAULT_SOURCE@')).trim() });
  const announcedAudio = (): boolean | undefined => agent.sim.agentCaps?.has(Capability.AudioVolumeSync);
  const startServer = async (): Promise<void> => {
    pulse = await startServerAs({ uid: seat.user.uid, gid: seat.user.gid, runtimeDir, home: seat.user.home });
    await expect.poll(announcedAudio, { timeout: 10_000 }).toBe(true);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'audio-'));
    chmodSync(root, 0o755);
    const actionsDir = makeActionsDir(root, { audio: '' });
    seat = await startSeat(root, userName);
    runtimeDir = join(root, 'run');
    mkdirSync(runtimeDir, { mode: 0o700 });
    chownSync(runtimeDir, seat.user.uid, seat.user.gid);
    agent = await startDaemonOnSeat(seat, { actionsDirs: [actionsDir] });
  });

  afterAll(async () => {
    await pulse?.stop();
    await agent?.stop();
    await seat?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n--- sound server ---\n${pulse?.log().slice(-2000) ?? ''}\n`);
  });

  it('without a sound server the session\'s helper serves the module, and the agent does not announce AUDIO_VOLUME_SYNC', async () => {
    const { uid, gid } = seat.user;
    seat.logind.add({ id: '1', user: userName, uid, gid, display: ':7', runtimePath: runtimeDir });
    seat.logind.activate('1');
    await expect.poll(() => agent.logs(), { timeout: 10_000 }).toMatch(/helper serves audio/);
    await agent.sim.send({ type: MessageType.AnnounceCapabilities, request: true, caps: SPICE_GTK_CAPS });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    expect(announcedAudio()).toBe(false);
  });

  it('announces AUDIO_VOLUME_SYNC once the server runs as the session user, and sets the default sink per channel and its mute', async () => {
    await startServer();
    await agent.sim.send(sync([0x8000, 0x4000], { mute: true }));
    await expect.poll(sink, { timeout: 5000 }).toEqual({ volumes: [32768, 16384], mute: 'Mute: yes' });
    await agent.sim.send(sync([0xffff, 0xffff]));
    await expect.poll(sink, { timeout: 5000 }).toEqual({ volumes: [65536, 65536], mute: 'Mute: no' });
  });

  it('sets the default source for record volumes', async () => {
    await agent.sim.send(sync([0x4000, 0x4000], { isPlayback: false, mute: true }));
    await expect.poll(source, { timeout: 5000 }).toEqual({ volumes: [16384, 16384], mute: 'Mute: yes' });
  });

  it('applies the last of a flood of volumes and stays up', async () => {
    for (let i = 1; i <= 500; i++) await agent.sim.send(sync([64 * i, 64 * i]));
    // ⌊65536 · 32000 / 65535⌋: the last one.
    await expect.poll(async () => (await sink()).volumes, { timeout: 10_000 }).toEqual([32000, 32000]);
  });

  it('refuses hostile channel counts with their code, and goes on with the next request', async () => {
    const before = await sink();
    await agent.sim.send(sync([]));
    await agent.sim.send(sync(Array.from({ length: 255 }, () => 0xffff)));
    // nchannels 2 with one volume, then nchannels 1 with two: the decoder drops both.
    await agent.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.AudioVolumeSync, Buffer.from([1, 0, 2, 0xff, 0xff]))));
    await agent.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.AudioVolumeSync, Buffer.from([1, 0, 1, 0xff, 0xff, 0, 0]))));
    await expect.poll(() => agent.logs(), { timeout: 5000 }).toMatch(/\(too-many-channels\)/);
    expect(agent.logs()).toMatch(/\(no-channels\)/);
    expect(agent.logs().match(/BadPayloadSize: AUDIO_VOLUME_SYNC/g)).toHaveLength(2);
    expect(await sink()).toEqual(before);
    await agent.sim.send(sync([0x2000, 0x2000]));
    await expect.poll(async () => (await sink()).volumes, { timeout: 5000 }).toEqual([8192, 8192]);
  });

  it('takes 2,000 random AUDIO_VOLUME_SYNC payloads (any channel count, any size) without losing the agent or its helper, then applies a valid one', async () => {
    const helper = helperPid(agent.pid);
    const random = new SeededRandom(0x5eed0a0d);
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.alloc(random.int(0, 80));
      for (let b = 0; b < payload.length; b++) payload[b] = random.int(0, 255);
      if (payload.length > 2 && random.chance(0.5)) payload[2] = (payload.length - 3) >> 1; // a count that fits, more often than chance
      await agent.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.AudioVolumeSync, payload)));
    }
    await agent.sim.send(sync([0x6000, 0x6000]));
    await expect.poll(async () => (await sink()).volumes, { timeout: 10_000 }).toEqual([24576, 24576]);
    expect(helperPid(agent.pid)).toBe(helper);
  });

  it('withdraws AUDIO_VOLUME_SYNC when the server stops, and announces it again when it comes back', async () => {
    await pulse?.stop();
    await expect.poll(announcedAudio, { timeout: 10_000 }).toBe(false);
    await startServer();
    await agent.sim.send(sync([0x8000]));
    await expect.poll(async () => (await sink()).volumes, { timeout: 5000 }).toEqual([32768, 32768]);
  });
});
