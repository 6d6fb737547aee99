import { join } from 'node:path';
import { Capability, MessageType, type AudioVolumeSyncMessage, type Message } from '../../protocol/index.js';
import { AudioError, AudioErrorCode, type AudioDevice, type SoundServer } from '../../platform/audio/sound-server.js';
import { PactlSoundServer, type AudioEnv } from '../../platform/audio/pactl.js';
import { watchExistence, type ExistenceWatch } from '../../platform/watch-existence.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { LatestQueue } from './latest-queue.js';
import { volumeSetting, type VolumeSetting } from './volume.js';

/** What an audio module is built with; the defaults are the session helper's. */
export interface AudioModuleOptions {
  /** The session's environment: XDG_RUNTIME_DIR locates the sound server (default: this process's). */
  env?: AudioEnv;
  /** Makes the sound server for its socket (default: pactl). */
  server?: (socket: string, env: AudioEnv) => SoundServer;
}

/** Where PulseAudio, or PipeWire's pipewire-pulse, listens for the session: `$XDG_RUNTIME_DIR/pulse/native`. */
export function pulseSocket(env: AudioEnv): string | undefined {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'pulse', 'native') : undefined;
}

/**
 * AUDIO_VOLUME_SYNC → the session's default sink (playback) or source (capture), per channel,
 * and its mute (spec §12), in the session helper, through pactl as the session's user; works
 * with PulseAudio and with PipeWire's pipewire-pulse.
 *
 * - Volume: SPICE's 0…65535 is the percentage scale users see (cubic), which is PulseAudio's own
 *   volume scale, so 65535 → PA_VOLUME_NORM (100 %) and 32768 → 50 % (`serverVolume`): spice-gtk
 *   sends its GStreamer sink's cubic volume × 65535, and its former PulseAudio backend mapped
 *   exactly so. Equal channels (what spice-gtk sends) set every channel of the device; different
 *   ones are set per channel, and when the device has another channel count the loudest is set
 *   on all (the level matters more than the balance).
 * - When muting, mute is set first (the new level is never heard); when unmuting, the volume is
 *   set first (the old level is never heard).
 * - On by its vendor actions.d entry: spice-vdagentd always announces and applies it (to ALSA),
 *   so its users expect the guest to follow the client's volume.
 * - AUDIO_VOLUME_SYNC is announced only while the server's socket exists (inotify on the runtime
 *   folder, no polling); its coming and going re-announces. A server started by socket activation
 *   counts as running; one killed without removing its socket counts until the socket changes.
 * - One request runs at a time; of those waiting only the latest playback and the latest capture
 *   request are kept. Refused requests fail with an AudioError code and a warning (the logger's
 *   flood control bounds those lines); a request replaced by a newer one is normal (a slider being
 *   dragged) and logged only with --debug.
 */
export class AudioModule implements ActionModule {
  readonly name = 'audio';
  readonly capabilities = [Capability.AudioVolumeSync];
  readonly handles = [MessageType.AudioVolumeSync];
  readonly host = 'session';
  private readonly env: AudioEnv;
  private readonly makeServer: (socket: string, env: AudioEnv) => SoundServer;
  private readonly queue = new LatestQueue<AudioDevice, VolumeSetting>(
    (setting) => this.apply(setting),
    () => new AudioError(AudioErrorCode.Superseded, 'a newer request for the same device took its place'),
  );
  private ctx: ModuleContext | undefined;
  private server: SoundServer | undefined;
  private socket: ExistenceWatch | undefined;

  constructor(options: AudioModuleOptions = {}) {
    this.env = options.env ?? process.env;
    this.makeServer = options.server ?? ((socket, env) => new PactlSoundServer(socket, env));
  }

  async start(ctx: ModuleContext): Promise<void> {
    const socket = pulseSocket(this.env);
    if (!socket) throw new Error('audio: no XDG_RUNTIME_DIR in the session environment, so no sound server to find');
    this.ctx = ctx;
    this.server = this.makeServer(socket, this.env);
    this.socket = watchExistence(socket, (running) => this.serverChanged(running));
    ctx.offer?.(this.socket.exists ? this.capabilities : []);
    ctx.log.info(`audio: ${this.socket.exists ? 'sound server at' : 'no sound server yet at'} ${socket}`);
  }

  async stop(): Promise<void> {
    this.socket?.close();
    this.socket = undefined;
    this.queue.drop(new AudioError(AudioErrorCode.Cancelled, 'the audio module stopped'));
    await this.queue.idle();
    this.server = undefined;
    this.ctx = undefined;
  }

  /** Applies the message; settles once it is applied, refused or replaced (never rejects: failures are logged). */
  handle(message: Message): Promise<void> | void {
    if (message.type !== MessageType.AudioVolumeSync) return;
    return this.request(message).catch((err: unknown) => this.report(err));
  }

  /** Applies an AUDIO_VOLUME_SYNC; rejects with an AudioError when it is refused, fails or is replaced. */
  async request(message: AudioVolumeSyncMessage): Promise<void> {
    const setting = volumeSetting(message);
    if (!this.socket?.exists) throw new AudioError(AudioErrorCode.NoSoundServer, 'no sound server runs for the session');
    return this.queue.put(setting.device, setting);
  }

  resetClient(): void {
    // What a client that left asked for and is still waiting is not applied.
    this.queue.drop(new AudioError(AudioErrorCode.Cancelled, 'the client went away'));
  }

  private serverChanged(running: boolean): void {
    if (!running) this.queue.drop(new AudioError(AudioErrorCode.NoSoundServer, 'the sound server went away'));
    this.ctx?.offer?.(running ? this.capabilities : []);
    this.ctx?.log.info(`audio: the sound server ${running ? 'is up: AUDIO_VOLUME_SYNC announced' : 'went away: AUDIO_VOLUME_SYNC withdrawn'}`);
  }

  private async apply(setting: VolumeSetting): Promise<void> {
    const server = this.server;
    if (!server) throw new AudioError(AudioErrorCode.Cancelled, 'the audio module stopped');
    if (setting.mute) await server.setMute(setting.device, true);
    await this.setVolume(server, setting);
    if (!setting.mute) await server.setMute(setting.device, false);
    this.ctx?.log.debug(`audio: ${setting.device} ${setting.volumes.join(' ')}${setting.mute ? ' muted' : ''}`);
  }

  private async setVolume(server: SoundServer, { device, volumes }: VolumeSetting): Promise<void> {
    const loudest = Math.max(...volumes);
    if (volumes.every((v) => v === loudest)) return server.setVolume(device, [loudest]);
    try {
      await server.setVolume(device, volumes);
    } catch (err) {
      // pactl refuses a channel count other than the device's; the level matters more than the balance.
      if (!(err instanceof AudioError) || err.code !== AudioErrorCode.ToolFailed) throw err;
      await server.setVolume(device, [loudest]);
    }
  }

  private report(err: unknown): void {
    const log = this.ctx?.log;
    if (!(err instanceof AudioError)) return log?.error(`audio: ${String(err)}`);
    const text = `audio: AUDIO_VOLUME_SYNC not applied (${err.code}): ${err.message}`;
    if (err.code !== AudioErrorCode.Superseded && err.code !== AudioErrorCode.Cancelled) log?.warn(text);
    else if (log?.debugEnabled) log.debug(text);
  }
}
