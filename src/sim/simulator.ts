import { EventEmitter } from 'node:events';
import {
  Capability,
  CapabilitySet,
  ChunkPort,
  type ClipboardSelection,
  type ClipboardType,
  type CodecContext,
  decodeMessage,
  type DeviceDisplayInfo,
  type Message,
  type MessageOf,
  MessageType,
  Reassembler,
  toChunks,
  VdagentError,
} from '../protocol/index.js';
import type { Port } from '../transport/port.js';
import { type ClientSerials, clientSerials } from './grab-serials.js';
import { type ClientMonitor, type ClientProfile, SPICE_GTK_0_42, type StartupHost } from './profiles.js';

export { SPICE_GTK_CAPS, SPICE_GTK_MAX_CLIPBOARD } from './profiles.js';

/** The bits that change the clipboard's wire format: a client uses one only if both sides have it (spec §6.6). */
const LAYOUT_BITS = [Capability.ClipboardSelection, Capability.ClipboardGrabSerial];

/** One message seen by the simulator, in either direction. */
export interface SimRecord {
  /** Who sent it. */
  from: 'client' | 'server' | 'agent';
  /** The decoded message, or the error that dropped it. */
  message?: Message;
  error?: VdagentError;
  /** From the agent: the chunk port it came on and its payload bytes as sent. */
  wire?: { port: ChunkPort; payload: Buffer };
  /** Milliseconds since the simulator started. */
  at: number;
}

/** Settings of the simulator. */
export interface SimulatorOptions {
  /** The client played (default spice-gtk 0.42). */
  profile?: ClientProfile;
  /** Capabilities to announce instead of the profile's. */
  caps?: CapabilitySet;
  /** Play spice-gtk's start-up flow after the agent's caps arrive (default true). */
  autoFlow?: boolean;
  /** Monitors sent in the start-up MONITORS_CONFIG. */
  monitors?: ClientMonitor[];
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
 * Plays the host side of the port the way a client profile does (default spice-gtk 0.42 behind
 * spice-server): announces, answers the agent's request=1, plays the profile's start-up flow once
 * the agent's caps arrive, and sends messages on the profile's chunk ports and chunk size. It keeps
 * the client's grab serials by the profile's rule and records which of the agent's grabs it kept.
 */
export class ClientSimulator extends EventEmitter<SimulatorEvents> {
  /** Everything sent and received, in order. */
  readonly records: SimRecord[] = [];
  /** The agent's last announced capabilities, once known. */
  agentCaps: CapabilitySet | undefined;
  /** The agent's grabs this client discarded by its serial rule. */
  readonly discardedGrabs: MessageOf<MessageType.ClipboardGrab>[] = [];
  /** The client played. */
  readonly profile: ClientProfile;
  private readonly caps: CapabilitySet | undefined;
  private readonly options: SimulatorOptions;
  private readonly reassembler: Reassembler;
  private readonly serials: ClientSerials;
  private readonly consumed = new Set<Message>();
  private waiters: Waiter[] = [];
  private readonly started = Date.now();
  private flowDone = false;
  /** Set once the host side is unplugged: what is sent from then on is queued or dropped. */
  private unplugged = false;
  /** Pointer input waiting for the next agent (a profile that queues it while unplugged). */
  private queued: Message[] = [];

  constructor(
    readonly port: Port,
    options: SimulatorOptions = {},
  ) {
    super();
    this.options = options;
    this.profile = options.profile ?? SPICE_GTK_0_42;
    this.caps = options.caps ?? this.profile.caps;
    this.serials = clientSerials(this.profile.serials);
    this.reassembler = new Reassembler(
      {
        message: (raw) => {
          const wire = { port: raw.port, payload: Buffer.from(raw.payload) };
          try {
            this.received(decodeMessage(raw, this.context), wire);
          } catch (err) {
            if (err instanceof VdagentError) this.record({ from: 'agent', error: err, wire });
            else throw err;
          }
        },
        error: (err) => this.record({ from: 'agent', error: err }),
      },
      // The agent may send one big chunk (spice-vdagentd does); accept what the server accepts.
      { maxChunkSize: 0xffffffff },
    );
    port.on('data', (chunk) => {
      this.deliverQueued();
      this.reassembler.push(chunk);
    });
  }

  /**
   * The codec context: clipboard layouts follow the agent's announced bits (spec §6.6), those this
   * client has: a client that never heard of the selection prefix neither sends nor expects it.
   */
  get context(): CodecContext {
    const agent = this.agentCaps ?? CapabilitySet.empty;
    const own = this.caps ?? CapabilitySet.empty;
    return { peerCaps: agent.without(...LAYOUT_BITS.filter((bit) => !own.has(bit))) };
  }

  /** A client connects: announce our caps with request=1 (the agent is unknown yet), if this client does. */
  connect(): void {
    this.agentCaps = undefined;
    this.flowDone = false;
    this.reassembler.reset();
    this.serials.reset();
    if (this.profile.announcesOnConnect) this.announce();
    // A client that never announces does not wait for the agent either.
    else if (!this.caps) this.startFlow(CapabilitySet.empty);
  }

  /** Sends a client message on chunk port 1, cut into the profile's pieces (2048 bytes for spice-gtk). */
  send(message: Message): Promise<void> {
    return this.transmit(message, ChunkPort.Client);
  }

  /** Sends a server-generated message as one chunk on the profile's server port (2 for spice-server). */
  sendFromServer(message: Message): Promise<void> {
    return this.transmit(message, this.profile.serverPort);
  }

  /** Writes raw bytes (for malformed input). */
  async sendRaw(bytes: Buffer): Promise<void> {
    await this.port.write(bytes);
  }

  /** The server reports a pointer state; while unplugged it is queued or dropped, as the profile does. */
  mouse(x: number, y: number, buttons = 0, displayId = 0): Promise<void> {
    const message: Message = { type: MessageType.MouseState, x, y, buttons, displayId };
    if (!this.unplugged) return this.sendFromServer(message);
    if (this.profile.queuesPointerWhileUnplugged) this.queued.push(message);
    return Promise.resolve();
  }

  /** The server reports that the last client left (port 2); rejects for a profile whose host never does. */
  disconnect(): Promise<void> {
    if (!this.profile.sendsClientDisconnected) return Promise.reject(new Error(`${this.profile.name} never sends CLIENT_DISCONNECTED`));
    this.agentCaps = undefined;
    return this.sendFromServer({ type: MessageType.ClientDisconnected });
  }

  /** The client takes the clipboard: CLIPBOARD_GRAB with the serial its rule gives. */
  grab(selection: ClipboardSelection, types: ClipboardType[]): Promise<void> {
    const serial = this.context.peerCaps.has(Capability.ClipboardGrabSerial) ? this.serials.next(selection) : undefined;
    return this.send({ type: MessageType.ClipboardGrab, selection, types, ...(serial === undefined ? {} : { serial }) });
  }

  /** The client answers a request with text, as this client puts text on the wire. */
  sendText(selection: ClipboardSelection, dataType: ClipboardType, text: string): Promise<void> {
    return this.send({ type: MessageType.Clipboard, selection, dataType, data: this.profile.textOnWire(text) });
  }

  /** The host side goes away (QEMU closes or unplugs the port): nothing more is written to this port. */
  unplug(): void {
    this.unplugged = true;
  }

  /**
   * The simulator for the port that replaces this one, with the same settings; what this client
   * queued while unplugged goes to the next agent as soon as it speaks, before any answer.
   */
  successor(port: Port): ClientSimulator {
    const next = new ClientSimulator(port, this.options);
    next.queued = this.queued.splice(0);
    return next;
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

  /** The record of a message received from the agent (its wire bytes). */
  recordOf(message: Message): SimRecord | undefined {
    return this.records.find((r) => r.message === message);
  }

  /** Marks every message received so far as consumed, so `expect` only sees newer ones. */
  consumeAll(): void {
    for (const r of this.records) if (r.message) this.consumed.add(r.message);
  }

  /** Marks every message received up to `message` (itself included) as consumed, so `expect` only sees what came after it. */
  consumeThrough(message: Message): void {
    for (const r of this.records) {
      if (r.message) this.consumed.add(r.message);
      if (r.message === message) return;
    }
  }

  private announce(): void {
    if (!this.caps) return;
    // Fire and forget, like the client: a port closed meanwhile just loses the message.
    this.send({ type: MessageType.AnnounceCapabilities, request: this.agentCaps === undefined, caps: this.caps }).catch(() => undefined);
  }

  private async transmit(message: Message, port: ChunkPort): Promise<void> {
    if (this.unplugged) return;
    const chunks = toChunks(message, this.context, port, this.profile.maxPiece);
    this.record({ from: port === ChunkPort.Server ? 'server' : 'client', message });
    await this.port.writev(chunks);
  }

  /** Sends what was queued for this agent, once, before anything else (fire and forget, like the client's other output). */
  private deliverQueued(): void {
    for (const message of this.queued.splice(0)) this.sendFromServer(message).catch(() => undefined);
  }

  private received(message: Message, wire: SimRecord['wire']): void {
    this.record({ from: 'agent', message, wire });
    if (message.type === MessageType.ClipboardGrab && message.serial !== undefined && !this.serials.accepts(message.selection, message.serial)) {
      this.discardedGrabs.push(message);
    }
    const waiter = this.waiters.find((w) => w.match(message));
    if (waiter) {
      this.consumed.add(message);
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(message);
    }
    if (message.type !== MessageType.AnnounceCapabilities) return;
    this.agentCaps = message.caps;
    // qemu-vdagent starts its serials again at every announcement it hears (spec §15.4).
    if (this.profile.serials === 'qemu-vdagent') this.serials.reset();
    if (message.request) this.announce();
    this.startFlow(message.caps);
  }

  /** Plays the profile's start-up flow, once per client. */
  private startFlow(agent: CapabilitySet): void {
    if (this.options.autoFlow === false || this.flowDone) return;
    this.flowDone = true;
    this.profile.startup(agent, this.startupHost()).catch(() => undefined);
  }

  private startupHost(): StartupHost {
    return {
      send: (m) => this.send(m),
      sendFromServer: (m) => this.sendFromServer(m),
      monitors: this.options.monitors ?? [{ width: 1024, height: 768 }],
      devices: this.options.devices ?? [{ channelId: 0, monitorId: 0, deviceDisplayId: 0, deviceAddress: 'pci/0000/02.0' }],
    };
  }

  private record(r: Omit<SimRecord, 'at'>): void {
    const full = { ...r, at: Date.now() - this.started };
    this.records.push(full);
    this.emit('record', full);
  }
}
