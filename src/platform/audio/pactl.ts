import { execFile } from 'node:child_process';
import { AudioError, AudioErrorCode, type AudioDevice, type SoundServer } from './sound-server.js';

/** The environment pactl runs in (the session's). */
export type AudioEnv = Readonly<Record<string, string | undefined>>;

/** How long one pactl run may take before it is killed. */
const PACTL_TIMEOUT_MS = 5000;
/** Most output of a pactl run kept (it prints nothing on success). */
const PACTL_MAX_OUTPUT = 64 * 1024;
/** The device names pactl resolves to the server's defaults. */
const DEFAULT_DEVICE: Record<AudioDevice, string> = { sink: '@DEFAULT_SINK@', source: '@DEFAULT_SOURCE@' };

/**
 * The sound server through `pactl` (pulseaudio-utils), which speaks the PulseAudio protocol to
 * PulseAudio and to PipeWire's pipewire-pulse alike. Every run is an argument vector (no shell),
 * bounded in time and output, pointed at exactly `socket` (PULSE_SERVER), so that it never
 * starts a server of its own (no autospawn) nor reaches another user's.
 */
export class PactlSoundServer implements SoundServer {
  constructor(
    private readonly socket: string,
    private readonly env: AudioEnv,
  ) {}

  setVolume(device: AudioDevice, volumes: readonly number[]): Promise<void> {
    return this.run([`set-${device}-volume`, DEFAULT_DEVICE[device], ...volumes.map(String)]);
  }

  setMute(device: AudioDevice, mute: boolean): Promise<void> {
    return this.run([`set-${device}-mute`, DEFAULT_DEVICE[device], mute ? '1' : '0']);
  }

  private run(args: string[]): Promise<void> {
    const env = { ...this.env, PULSE_SERVER: `unix:${this.socket}` };
    return new Promise((resolve, reject) => {
      execFile('pactl', args, { env, timeout: PACTL_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: PACTL_MAX_OUTPUT }, (err, _stdout, stderr) => {
        if (!err) return resolve();
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        const why = missing ? 'pactl was not found: install the Debian package pulseaudio-utils' : stderr.trim() || err.message;
        reject(new AudioError(AudioErrorCode.ToolFailed, `pactl ${args.join(' ')}: ${why}`));
      });
    });
  }
}
