import { describe, expect, it } from 'vitest';
import { MAX_CHANNELS, PA_VOLUME_NORM, serverVolume, volumeSetting } from '../../../../src/actions/audio/volume.js';
import { AudioErrorCode } from '../../../../src/platform/audio/sound-server.js';
import { MessageType, type AudioVolumeSyncMessage } from '../../../../src/protocol/index.js';

const sync = (volumes: number[], more: Partial<AudioVolumeSyncMessage> = {}): AudioVolumeSyncMessage => ({ type: MessageType.AudioVolumeSync, isPlayback: true, mute: false, volumes, ...more });

/** Runs `f` and returns the code of the error it throws. */
function codeOf(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return undefined;
}

describe('SPICE volume to the sound server\'s (the percentage scale both use, spice-gtk\'s PA_VOLUME_NORM · v / 65535)', () => {
  it.each([
    [0, 0],
    [0xffff, PA_VOLUME_NORM],
    [0x8000, 0x8000],
    [0x4000, 0x4000],
    [1, 1],
  ])('%i → %i', (spice, server) => {
    expect(serverVolume(spice)).toBe(server);
  });

  it('never goes past 100 % and never down as SPICE volume goes up', () => {
    const all = Array.from({ length: 0x10000 }, (_, v) => serverVolume(v));
    expect(all.findIndex((s, v) => v > 0 && s < (all[v - 1] as number))).toBe(-1);
    expect(Math.max(...all)).toBe(PA_VOLUME_NORM);
  });
});

describe('what an AUDIO_VOLUME_SYNC asks for', () => {
  it('playback is the default sink, record the default source, with the mute and each channel', () => {
    expect(volumeSetting(sync([0xffff, 0x8000], { mute: true }))).toEqual({ device: 'sink', mute: true, volumes: [PA_VOLUME_NORM, 0x8000] });
    expect(volumeSetting(sync([0], { isPlayback: false }))).toEqual({ device: 'source', mute: false, volumes: [0] });
  });

  it('takes up to PA_CHANNELS_MAX channels', () => {
    expect(volumeSetting(sync(Array.from({ length: MAX_CHANNELS }, () => 0xffff))).volumes).toHaveLength(MAX_CHANNELS);
  });

  it('refuses a request without channels (NoChannels)', () => {
    expect(codeOf(() => volumeSetting(sync([], { mute: true })))).toBe(AudioErrorCode.NoChannels);
  });

  it('refuses more channels than any device has (TooManyChannels), up to the 255 the wire allows', () => {
    expect(codeOf(() => volumeSetting(sync(Array.from({ length: MAX_CHANNELS + 1 }, () => 1))))).toBe(AudioErrorCode.TooManyChannels);
    expect(codeOf(() => volumeSetting(sync(Array.from({ length: 255 }, () => 1))))).toBe(AudioErrorCode.TooManyChannels);
  });
});
