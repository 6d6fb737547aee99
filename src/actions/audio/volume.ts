import type { AudioVolumeSyncMessage } from '../../protocol/index.js';
import { AudioError, AudioErrorCode, type AudioDevice } from '../../platform/audio/sound-server.js';

/** Most channels a request may name: PulseAudio's PA_CHANNELS_MAX (no device has more). */
export const MAX_CHANNELS = 32;
/** SPICE's full volume (spec §12). */
export const SPICE_VOLUME_MAX = 0xffff;
/** PulseAudio's 100 % (PA_VOLUME_NORM), which pipewire-pulse keeps. */
export const PA_VOLUME_NORM = 0x10000;

/** What one AUDIO_VOLUME_SYNC asks of the sound server. */
export interface VolumeSetting {
  /** The default sink (playback) or source (capture). */
  device: AudioDevice;
  mute: boolean;
  /** Per channel, in the server's units. */
  volumes: number[];
}

/**
 * A SPICE volume in the server's units. SPICE's 0…65535 is the client's volume on the scale a
 * user sees as a percentage, not linear amplitude: spice-gtk reads its GStreamer sink's volume in
 * GST_STREAM_VOLUME_FORMAT_CUBIC and sends it × 65535, and its former PulseAudio backend converted
 * both ways as `PA_VOLUME_NORM · v / 65535` (integer division), because pa_volume_t is that cubic
 * scale as well. So 65535 is 100 % and 32768 is 50 % in pavucontrol, as in the client's mixer.
 */
export function serverVolume(spice: number): number {
  return Math.floor((PA_VOLUME_NORM * spice) / SPICE_VOLUME_MAX);
}

/** The setting an AUDIO_VOLUME_SYNC asks for; rejects (typed) a request without channels or with more than any device has. */
export function volumeSetting(message: AudioVolumeSyncMessage): VolumeSetting {
  const n = message.volumes.length;
  if (n === 0) throw new AudioError(AudioErrorCode.NoChannels, 'AUDIO_VOLUME_SYNC with no channel');
  if (n > MAX_CHANNELS) throw new AudioError(AudioErrorCode.TooManyChannels, `AUDIO_VOLUME_SYNC with ${n} channels (at most ${MAX_CHANNELS})`);
  return { device: message.isPlayback ? 'sink' : 'source', mute: message.mute, volumes: message.volumes.map(serverVolume) };
}
