/** Which default device of the sound server: the playback sink or the capture source. */
export type AudioDevice = 'sink' | 'source';

/** Why a volume request was not applied. */
export enum AudioErrorCode {
  /** The request names no channel. */
  NoChannels = 'no-channels',
  /** The request names more channels than a sound server has (PA_CHANNELS_MAX). */
  TooManyChannels = 'too-many-channels',
  /** No sound server runs for the session (its socket is absent). */
  NoSoundServer = 'no-sound-server',
  /** The sound server's tool is missing, failed or timed out. */
  ToolFailed = 'tool-failed',
  /** A newer request for the same device took its place before it ran. */
  Superseded = 'superseded',
  /** The client went away or the module stopped before it ran. */
  Cancelled = 'cancelled',
}

/** A volume request that was not applied, with its code. */
export class AudioError extends Error {
  constructor(
    readonly code: AudioErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The session's sound server: sets the volume and mute of its default sink or source. Rejects with an AudioError. */
export interface SoundServer {
  /** Sets the volume in the server's units (PA_VOLUME_NORM = 100 %): one value for every channel, or one per channel. */
  setVolume(device: AudioDevice, volumes: readonly number[]): Promise<void>;
  /** Mutes or unmutes the device. */
  setMute(device: AudioDevice, mute: boolean): Promise<void>;
}
