import { EventEmitter } from 'node:events';
import {
  Capability,
  CapabilitySet,
  ChunkPort,
  type CodecContext,
  decodeMessage,
  type DeviceDisplayInfo,
  type Message,
  type MessageOf,
  MessageType,
  MonitorsConfigFlag,
  Reassembler,
  toChunks,
  VdagentError,
} from '../protocol/index.js';
import type { Port } from '../transport/port.js';

/** spice-gtk 0.42's capability word `0x00035077` (spec §6.4). */
export const SPICE_GTK_CAPS = CapabilitySet.fromWords([0x00035077]);
/** spice-gtk's default MAX_CLIPBOARD (100 MiB). */
export const SPICE_GTK_MAX_CLIPBOARD = 104857600;

/** One message seen by the simulator, in either direction. */
export interface SimRecord {
  /** Who sent it. */
  from: 'client' | 'server' | 'agent';
  /** The decoded message, or the error that dropped it. */
  message?: Message;
  error?: VdagentError;
  /** Milliseconds since the simulator started. */
  at: number;
}

/** Settings of the simulator. */
export interface SimulatorOptions {
  /** Capabilities to announce (default spice-gtk's). */
  caps?: CapabilitySet;
  /** Play spice-gtk's start-up flow after the agent's caps arrive (default true). */
  autoFlow?: boolean;
  /** Monitors sent in the start-up MONITORS_CONFIG. */
  monitors?: { width: number; height: number }[];
  /** What the simulated server reports as GRAPHICS_DEVICE_INFO. */
  devices?: DeviceDisplayInfo[];
}

/** Events of the simulator. */
export interface SimulatorEvents {
  /** Every message sent or received, as it happens. */
  record: [record: SimRecord];
}

interface Waiter {
  match: (m: Message) => boolean;
  resolve: (m: Message) => void;
}

/**
 * Plays the host side of the port the way spice-gtk 0.42 and spice-server do: announces
 * `0x00035077` with request=1 until it has the agent's caps, then DISPLAY_CONFIG if offered,
 * MAX_CLIPBOARD and MONITORS_CONFIG with the PHYSICAL_SIZE trailer; the server's MOUSE_STATE,
 * CLIENT_DISCONNECTED and GRAPHICS_DEVICE_INFO go on chunk port 2.
 */
export class ClientSimulator extends EventEmitter<SimulatorEvents> {
  /** Everything sent and received, in order. */
  readonly records: SimRecord[] = [];
  /** The agent's last announced capabilities, once known. */
  agentCaps: CapabilitySet | undefined;
  private readonly caps: CapabilitySet;
  private readonly options: SimulatorOptions;
  private readonly reassembler: Reassembler;
  private readonly consumed = new Set<Message>();
  private waiters: Waiter[] = [];
  private readonly started = Date.now();
  private flowDone = false;

  constructor(
    readonly port: Port,
    options: SimulatorOptions = {},
  ) {
    super();
    this.options = options;
    this.caps = options.caps ?? SPICE_GTK_CAPS;
    this.reassembler = new Reassembler(
      {
        message: (raw) => {
          try {
            this.received(decodeMessage(raw, this.context));
          } catch (err) {
            if (err instanceof VdagentError) this.record({ from: 'agent', error: err });
            else throw err;
          }
        },
        error: (err) => this.record({ from: 'agent', error: err }),
      },
      // The agent may send one big chunk (spice-vdagentd does); accept what the server accepts.
      { maxChunkSize: 0xffffffff },
    );
    port.on('data', (chunk) => this.reassembler.push(chunk));
  }

  /** The codec context: clipboard layouts follow the agent's announced bits (spec §6.6). */
  get context(): CodecContext {
    return { peerCaps: this.agentCaps ?? CapabilitySet.empty };
  }

  /** A client connects: announce our caps with request=1 (the agent is unknown yet). */
  connect(): void {
    this.agentCaps = undefined;
    this.flowDone = false;
    this.reassembler.reset();
    this.announce();
  }

  /** Sends a client message on chunk port 1, cut into pieces of at most 2048 bytes. */
  send(message: Message): Promise<void> {
    return this.transmit(message, ChunkPort.Client);
  }

  /** Sends a server-generated message as one chunk on port 2. */
  sendFromServer(message: Message): Promise<void> {
    return this.transmit(message, ChunkPort.Server);
  }

  /** Writes raw bytes (for malformed input). */
  async sendRaw(bytes: Buffer): Promise<void> {
    await this.port.write(bytes);
  }

  /** The server reports a pointer state (port 2). */
  mouse(x: number, y: number, buttons = 0, displayId = 0): Promise<void> {
    return this.sendFromServer({ type: MessageType.MouseState, x, y, buttons, displayId });
  }

  /** The server reports that the last client left (port 2). */
  disconnect(): Promise<void> {
    this.agentCaps = undefined;
    return this.sendFromServer({ type: MessageType.ClientDisconnected });
  }

  /**
   * Resolves with the next not yet consumed message of `type` from the agent that satisfies
   * `where`, looking first at what already arrived; rejects after `timeoutMs`.
   */
  expect<T extends MessageType>(type: T, opts: { where?: (m: MessageOf<T>) => boolean; timeoutMs?: number } = {}): Promise<MessageOf<T>> {
    const match = (m: Message): boolean => m.type === type && !this.consumed.has(m) && (opts.where?.(m as MessageOf<T>) ?? true);
    for (const r of this.records) {
      if (r.from === 'agent' && r.message && match(r.message)) {
        this.consumed.add(r.message);
        return Promise.resolve(r.message as MessageOf<T>);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (m) => resolve(m as MessageOf<T>) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${MessageType[type]} from the agent within ${opts.timeoutMs ?? 2000} ms`));
      }, opts.timeoutMs ?? 2000);
      waiter.resolve = (m) => {
        clearTimeout(timer);
        resolve(m as MessageOf<T>);
      };
      this.waiters.push(waiter);
    });
  }

  /** Marks every message received so far as consumed, so `expect` only sees newer ones. */
  consumeAll(): void {
    for (const r of this.records) if (r.message) this.consumed.add(r.message);
  }

  private announce(): void {
    // Fire and forget, like the client: a port closed meanwhile just loses the message.
    this.send({ type: MessageType.AnnounceCapabilities, request: this.agentCaps === undefined, caps: this.caps }).catch(() => undefined);
  }

  private async transmit(message: Message, port: ChunkPort): Promise<void> {
    const chunks = toChunks(message, this.context, port);
    this.record({ from: port === ChunkPort.Server ? 'server' : 'client', message });
    await this.port.writev(chunks);
  }

  private received(message: Message): void {
    this.record({ from: 'agent', message });
    const waiter = this.waiters.find((w) => w.match(message));
    if (waiter) {
      this.consumed.add(message);
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(message);
    }
    if (message.type !== MessageType.AnnounceCapabilities) return;
    this.agentCaps = message.caps;
    if (message.request) this.announce();
    if (this.options.autoFlow !== false && !this.flowDone) {
      this.flowDone = true;
      this.startupFlow(message.caps).catch(() => undefined);
    }
  }

  /** What spice-gtk and spice-server send once the agent's caps are known (spec §6.5). */
  private async startupFlow(agent: CapabilitySet): Promise<void> {
    if (agent.has(Capability.DisplayConfig)) await this.send({ type: MessageType.DisplayConfig, flags: 0, depth: 0 });
    if (agent.has(Capability.MaxClipboard)) await this.send({ type: MessageType.MaxClipboard, max: SPICE_GTK_MAX_CLIPBOARD });
    if (agent.has(Capability.GraphicsDeviceInfo)) {
      const devices = this.options.devices ?? [{ channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' }];
      await this.sendFromServer({ type: MessageType.GraphicsDeviceInfo, devices });
    }
    if (agent.has(Capability.MonitorsConfig)) {
      const monitors = (this.options.monitors ?? [{ width: 1024, height: 768 }]).map((m, i, all) => ({
        ...m,
        depth: 32,
        x: all.slice(0, i).reduce((x, o) => x + o.width, 0),
        y: 0,
        physical: { widthMm: 0, heightMm: 0 },
      }));
      await this.send({ type: MessageType.MonitorsConfig, flags: MonitorsConfigFlag.UsePos | MonitorsConfigFlag.PhysicalSize, monitors });
    }
  }

  private record(r: Omit<SimRecord, 'at'>): void {
    const full = { ...r, at: Date.now() - this.started };
    this.records.push(full);
    this.emit('record', full);
  }
}
