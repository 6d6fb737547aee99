import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AudioModule } from '../../../../src/actions/audio/module.js';
import { PA_VOLUME_NORM } from '../../../../src/actions/audio/volume.js';
import type { ModuleContext } from '../../../../src/actions/module.js';
import { AudioError, AudioErrorCode, type AudioDevice, type SoundServer } from '../../../../src/platform/audio/sound-server.js';
import { Capability, MessageType, type AudioVolumeSyncMessage } from '../../../../src/protocol/index.js';
import { collectingContext } from '../../../support/module-context.js';

/** A sound server in memory: records each call; a device with `channels` refuses another count of volumes, as pactl does. */
class MemorySoundServer implements SoundServer {
  readonly calls: string[] = [];
  channels = 2;
  /** While set, every call waits for it. */
  gate: Promise<void> | undefined;

  async setVolume(device: AudioDevice, volumes: readonly number[]): Promise<void> {
    await this.gate;
    if (volumes.length !== 1 && volumes.length !== this.channels) {
      this.calls.push(`${device} volume ${volumes.join(' ')} refused`);
      throw new AudioError(AudioErrorCode.ToolFailed, `${volumes.length} volumes for ${this.channels} channels`);
    }
    this.calls.push(`${device} volume ${volumes.join(' ')}`);
  }

  async setMute(device: AudioDevice, mute: boolean): Promise<void> {
    await this.gate;
    this.calls.push(`${device} mute ${mute ? 1 : 0}`);
  }
}

const sync = (volumes: number[], more: Partial<AudioVolumeSyncMessage> = {}): AudioVolumeSyncMessage => ({ type: MessageType.AudioVolumeSync, isPlayback: true, mute: false, volumes, ...more });
const codeOf = (p: Promise<void>): Promise<unknown> => p.then(() => 'applied', (err: { code?: unknown }) => err.code);

describe('the audio module', () => {
  let dir: string;
  let server: MemorySoundServer;
  let module: AudioModule;
  let offers: (readonly Capability[])[];
  let ctx: ModuleContext;
  let logs: () => string;
  const socket = (): string => join(dir, 'pulse', 'native');
  const serverUp = (): void => {
    mkdirSync(join(dir, 'pulse'), { recursive: true });
    writeFileSync(socket(), '');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audio-'));
    server = new MemorySoundServer();
    module = new AudioModule({ env: { XDG_RUNTIME_DIR: dir }, server: () => server });
    offers = [];
    const collecting = collectingContext();
    ctx = { ...collecting.ctx, offer: (caps) => offers.push([...caps]) };
    logs = collecting.logs;
  });
  afterEach(async () => {
    await module.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('announces AUDIO_VOLUME_SYNC only while the session\'s sound server socket exists', () => {
    it('offers nothing at start without a server, the bit when its socket appears, nothing once it goes', async () => {
      await module.start(ctx);
      expect(offers).toEqual([[]]);
      serverUp();
      await expect.poll(() => offers).toEqual([[], [Capability.AudioVolumeSync]]);
      rmSync(socket());
      await expect.poll(() => offers).toEqual([[], [Capability.AudioVolumeSync], []]);
    });

    it('offers the bit at start when the server already runs', async () => {
      serverUp();
      await module.start(ctx);
      expect(offers).toEqual([[Capability.AudioVolumeSync]]);
    });

    it('refuses a request while no server runs (NoSoundServer), with a warning', async () => {
      await module.start(ctx);
      expect(await codeOf(module.request(sync([0xffff])))).toBe(AudioErrorCode.NoSoundServer);
      await module.handle(sync([0xffff]));
      expect(logs()).toMatch(/^warn: audio: .*no-sound-server/m);
      expect(server.calls).toEqual([]);
    });

    it('does not start without XDG_RUNTIME_DIR (nowhere to look for a server)', async () => {
      await expect(new AudioModule({ env: {}, server: () => server }).start(ctx)).rejects.toThrow(/XDG_RUNTIME_DIR/);
    });
  });

  describe('sets the default device', () => {
    beforeEach(async () => {
      serverUp();
      await module.start(ctx);
    });

    it('playback → sink, equal channels as one value for all, volume before unmuting', async () => {
      await module.request(sync([0xffff, 0xffff]));
      expect(server.calls).toEqual([`sink volume ${PA_VOLUME_NORM}`, 'sink mute 0']);
    });

    it('record → source, muting before the volume changes', async () => {
      await module.request(sync([0x8000], { isPlayback: false, mute: true }));
      expect(server.calls).toEqual(['source mute 1', 'source volume 32768']);
    });

    it('different channels one by one', async () => {
      await module.request(sync([0xffff, 0x4000]));
      expect(server.calls).toEqual([`sink volume ${PA_VOLUME_NORM} 16384`, 'sink mute 0']);
    });

    it('different channels for a device with another channel count: the loudest on all', async () => {
      server.channels = 6;
      await module.request(sync([0x4000, 0x8000]));
      expect(server.calls).toEqual(['sink volume 16384 32768 refused', 'sink volume 32768', 'sink mute 0']);
    });
  });

  describe('hostile or failing input never throws out of handle, is refused with a code and a warning', () => {
    beforeEach(async () => {
      serverUp();
      await module.start(ctx);
    });

    it.each([
      ['no channel', sync([], { mute: true }), AudioErrorCode.NoChannels],
      ['33 channels', sync(Array.from({ length: 33 }, () => 1)), AudioErrorCode.TooManyChannels],
      ['255 channels', sync(Array.from({ length: 255 }, () => 0xffff)), AudioErrorCode.TooManyChannels],
    ])('%s', async (_what, message, code) => {
      expect(await codeOf(module.request(message))).toBe(code);
      await expect(module.handle(message)).resolves.toBeUndefined();
      expect(logs()).toContain(`(${code})`);
      expect(server.calls).toEqual([]);
    });

    it('a failing server: ToolFailed', async () => {
      server.setMute = () => Promise.reject(new AudioError(AudioErrorCode.ToolFailed, 'Connection refused'));
      expect(await codeOf(module.request(sync([1])))).toBe(AudioErrorCode.ToolFailed);
      await module.handle(sync([1]));
      expect(logs()).toMatch(/^warn: audio: .*tool-failed.*Connection refused/m);
    });
  });

  describe('a flood while the server is slow', () => {
    let open: () => void;
    beforeEach(async () => {
      serverUp();
      await module.start(ctx);
      server.gate = new Promise((resolve) => (open = resolve));
    });

    it('keeps only the latest playback and the latest record request waiting; the others are Superseded, not warned', async () => {
      const first = codeOf(module.request(sync([1])));
      await new Promise((r) => setTimeout(r, 10));
      const flood = Array.from({ length: 2000 }, (_, i) => codeOf(module.request(sync([i + 2], { isPlayback: i % 2 === 0 }))));
      open();
      server.gate = undefined;
      const outcomes = await Promise.all([first, ...flood]);
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(3);
      expect(outcomes.filter((o) => o === AudioErrorCode.Superseded)).toHaveLength(1998);
      expect(server.calls).toEqual(['sink volume 1', 'sink mute 0', 'sink volume 2000', 'sink mute 0', 'source volume 2001', 'source mute 0']);
      expect(logs()).not.toMatch(/^warn/m);
    });

    it('forgets what waits when the client goes (Cancelled); what runs finishes', async () => {
      const first = codeOf(module.request(sync([1])));
      await new Promise((r) => setTimeout(r, 10));
      const waiting = codeOf(module.request(sync([2])));
      module.resetClient();
      open();
      expect([await first, await waiting]).toEqual(['applied', AudioErrorCode.Cancelled]);
      expect(server.calls).toEqual(['sink volume 1', 'sink mute 0']);
    });

    it('forgets what waits when the server goes (NoSoundServer) and withdraws the bit', async () => {
      const first = codeOf(module.request(sync([1])));
      await new Promise((r) => setTimeout(r, 10));
      const waiting = codeOf(module.request(sync([2], { isPlayback: false })));
      rmSync(socket());
      expect(await waiting).toBe(AudioErrorCode.NoSoundServer);
      expect(offers.at(-1)).toEqual([]);
      open();
      expect(await first).toBe('applied');
    });
  });
});
