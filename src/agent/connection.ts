import { EventEmitter } from 'node:events';
import {
  Capability,
  CapabilitySet,
  ChunkPort,
  type CodecContext,
  decodeMessage,
  describeMessage,
  ErrorCode,
  type Message,
  MessageType,
  messageName,
  type RawMessage,
  Reassembler,
  Severity,
  toWire,
  VdagentError,
} from '../protocol/index.js';
import type { ActionModule } from '../actions/module.js';
import type { Logger } from '../log/logger.js';
import type { BlockPool } from '../protocol/block-pool.js';
import { OutputQueue, type WriteChunks } from './output-queue.js';

/**
 * The most data bytes of one chunk the agent sends: every message goes out as one chunk, as
 * spice-vdagentd has always sent them (spec §3.2: spice-server re-splits agent chunks of any size,
 * QEMU's qemu-vdagent takes a chunk of any size). A 16 MiB clipboard answer is then two buffers to
 * write (its headers, a view of its data), not 16,386 made before the first byte is written
 * (about 10 ms) and kept until the last one is (then collected as old garbage).
 */
const WHOLE_MESSAGE = 0xffffffff;

/** Settings of one agent connection. */
export interface AgentOptions {
  /** The daemon's logger. */
  log: Logger;
  /** Ceiling on a message's declared size (default 128 MiB). */
  maxMessageSize?: number;
  /** Bound on queued output bytes. */
  maxQueuedBytes?: number;
  /** Bound on queued output chunks. */
  maxQueuedChunks?: number;
  /**
   * While our capabilities are about to change (a session helper starting): a promise that settles
   * when they have, or when waiting longer is not worth it. A client's request for our
   * capabilities is answered then, with them, instead of at once and once more a moment later.
   */
  capabilitiesComing?: () => Promise<void> | undefined;
  /**
   * Where FILE_XFER_DATA payloads are collected: blocks given back once sent on to the helper. What
   * the output queue took is given back to it too, once written or dropped unwritten (a helper's
   * clipboard answer read into one of its oversize buffers is freed then): nothing uses a queued
   * message's bytes afterwards. A message send() refused is still the caller's.
   */
  transferBlocks?: BlockPool;
  /** What receive() is given is the port's read buffer, reused afterwards (see Port.lendsReads): nothing keeps a view of it. */
  lentInput?: boolean;
}

/** Events of an agent connection. */
export interface AgentEvents {
  /** The stream is lost: the owner should reopen the port. */
  resync: [err: VdagentError];
  /** A valid message arrived: the port is healthy. */
  healthy: [];
  /** Output to the host is behind (true: stop reading the port) or caught up (false). */
  behind: [behind: boolean];
}

/**
 * One VDAgent connection on an open port: capability negotiation, per-client reset, dispatch by
 * message type to enabled modules, and the bounded output queue (spec §6, §16).
 */
export class AgentConnection extends EventEmitter<AgentEvents> {
  private readonly reassembler: Reassembler;
  private readonly output: OutputQueue;
  private readonly log: Logger;
  private clientCaps = CapabilitySet.empty;
  private modules: ActionModule[] = [];
  private readonly byType = new Map<number, ActionModule>();
  private readonly reportedTypes = new Set<number>();
  /** Whether messages are logged: asked once, so a message builds no debug line when off. */
  private readonly debug: boolean;
  private readonly capabilitiesComing: () => Promise<void> | undefined;
  /** Whether an answer to the client's request waits for our capabilities to settle. */
  private heldAnswer = false;
  /** Whether a wait for our capabilities to settle is under way (one, however many clients ask meanwhile). */
  private settling = false;
  /** Whether the client has announced since the port opened or the last client left. */
  private clientAnnounced = false;
  /** Pointer states from the client dropped because it had not announced yet. */
  private staleInput = 0;

  constructor(write: WriteChunks, options: AgentOptions) {
    super();
    this.log = options.log;
    this.debug = options.log.debugEnabled;
    this.capabilitiesComing = options.capabilitiesComing ?? ((): undefined => undefined);
    this.output = new OutputQueue(write, options.maxQueuedBytes, options.maxQueuedChunks, (behind) => this.emit('behind', behind), options.transferBlocks);
    this.reassembler = new Reassembler(
      { message: (raw) => this.onRaw(raw), error: (err, port) => this.onError(err, port) },
      { maxMessageSize: options.maxMessageSize, allocate: transferAllocator(options.transferBlocks), lentInput: options.lentInput },
    );
  }

  /** The codec context for what the client sends and receives. */
  get context(): CodecContext {
    return { peerCaps: this.clientCaps };
  }

  /**
   * Our capabilities: the union of the enabled modules' bits, plus FILE_XFER_DISABLED when no
   * module takes FILE_XFER_START, so the client does not start transfers nobody answers (spec §16).
   */
  get capabilities(): CapabilitySet {
    const bits = this.modules.reduce((set, m) => set.union(CapabilitySet.of(...m.capabilities)), CapabilitySet.empty);
    return this.byType.has(MessageType.FileXferStart) ? bits : bits.union(CapabilitySet.of(Capability.FileXferDisabled));
  }

  /**
   * Sets the enabled modules; when `announce`, tells the client the new set (request=0), unless an
   * answer to the client is held: that one will carry the new set.
   */
  setModules(modules: readonly ActionModule[], announce = false): void {
    this.modules = [...modules];
    this.byType.clear();
    for (const m of modules) for (const t of m.handles) this.byType.set(t, m);
    if (announce && !this.heldAnswer) this.announce(false);
  }

  /** The port (re)opened: start clean and announce with request=1. */
  opened(): void {
    this.reassembler.reset();
    this.output.clear();
    this.newClient('port opened');
    this.announce(true);
  }

  /** The port closed: drop queued output. */
  closed(): void {
    this.heldAnswer = false;
    this.output.clear();
  }

  /** Bytes from the port. */
  receive(data: Buffer): void {
    this.reassembler.push(data);
  }

  /**
   * Queues a message to the client; false when the output queue refused it, or when it cannot be
   * encoded for this client (its bytes are then still the caller's). The client's capabilities
   * may change under a message made for the old ones: a PRIMARY grab a session helper made, to be
   * released when the helper goes, after the client re-announced without CLIPBOARD_SELECTION.
   */
  send(message: Message): boolean {
    let chunks: Buffer[];
    try {
      chunks = toWire(message, this.context, ChunkPort.Client, WHOLE_MESSAGE);
    } catch (err) {
      if (!(err instanceof VdagentError)) throw err;
      this.log.warn(`${messageName(message.type)} dropped: ${ErrorCode[err.code]}: ${err.message} (client capabilities ${this.clientCaps.toString()})`);
      return false;
    }
    const ok = this.output.enqueue(chunks);
    if (!ok) this.log.warn(`output queue full (${this.output.pendingBytes} bytes in ${this.output.pendingChunks} buffers waiting): ${messageName(message.type)} dropped`);
    else if (this.debug) this.log.debug(`-> ${describeMessage(message)}`);
    return ok;
  }

  private announce(request: boolean): void {
    this.send({ type: MessageType.AnnounceCapabilities, request, caps: this.capabilities });
    for (const m of this.modules) m.agentAnnounced?.();
  }

  /**
   * Answers the client's request for our capabilities: at once, or once they have settled. Clients
   * that ask while they settle share the one wait (a host flooding requests while the helper starts
   * made a wait and a timer each), and only the last is owed the answer.
   */
  private answer(): void {
    if (this.settling) {
      this.heldAnswer = true;
      return;
    }
    const coming = this.capabilitiesComing();
    if (!coming) return this.announce(false);
    this.heldAnswer = true;
    this.settling = true;
    const deliver = (): void => {
      this.settling = false;
      // A new client that did not ask, or a reopened port, since: the answer is no longer owed.
      if (!this.heldAnswer) return;
      this.heldAnswer = false;
      this.announce(false);
    };
    void coming.then(deliver, deliver);
  }

  private newClient(why: string): void {
    this.heldAnswer = false;
    this.clientAnnounced = false;
    this.staleInput = 0;
    this.clientCaps = CapabilitySet.empty;
    this.reassembler.discardPort(ChunkPort.Client);
    for (const m of this.modules) {
      try {
        m.resetClient();
      } catch (err) {
        this.log.error(`${m.name}: reset failed: ${String(err)}`);
      }
    }
    this.log.debug(`new client state (${why})`);
  }

  private onRaw(raw: RawMessage): void {
    // A message nobody takes is dropped before decoding: its layout may follow capabilities
    // (the clipboard's selection prefix) that we no longer announce.
    if (raw.type !== MessageType.AnnounceCapabilities && raw.type !== MessageType.ClientDisconnected && !this.byType.has(raw.type)) {
      this.reportOnce(raw.type, `${messageName(raw.type)} dropped: no enabled module handles it`);
      return;
    }
    if (this.queuedInput(raw)) return;
    let message: Message;
    try {
      message = decodeMessage(raw, this.context);
    } catch (err) {
      if (err instanceof VdagentError) this.onError(err, raw.port);
      else throw err;
      return;
    }
    this.emit('healthy');
    if (this.debug) this.log.debug(`<- ${describeMessage(message)}`);
    this.dispatch(message);
  }

  private dispatch(message: Message): void {
    switch (message.type) {
      case MessageType.AnnounceCapabilities:
        if (message.request) this.newClient('client announced with request=1');
        this.clientCaps = message.caps;
        this.clientAnnounced = true;
        this.log.info(`client capabilities ${message.caps.toString()}`);
        if (this.staleInput > 0) this.log.info(`${this.staleInput} MOUSE_STATE from the client before its capabilities dropped (input queued while no agent listened)`);
        this.staleInput = 0;
        if (message.request) this.answer();
        for (const m of this.modules) m.clientAnnounced?.();
        return;
      case MessageType.ClientDisconnected:
        this.log.info('client disconnected');
        this.newClient('CLIENT_DISCONNECTED');
        return;
      default:
        break;
    }
    const module = this.byType.get(message.type);
    if (!module) return; // onRaw let only taken types through
    try {
      const done = module.handle(message);
      if (done instanceof Promise) done.catch((err: unknown) => this.log.error(`${module.name}: ${String(err)}`));
    } catch (err) {
      this.log.error(`${module.name}: ${String(err)}`);
    }
  }

  /**
   * Whether `raw` is pointer input a client-role peer (chunk port 1: QEMU's qemu-vdagent) sent
   * before announcing itself: input it queued while no agent listened, replayed to this one
   * before its capabilities reply. It is dropped, not applied: a click of minutes ago must not
   * land now, and MOUSE_STATE is absolute, so the next one carries the whole pointer state.
   * spice-server's own MOUSE_STATE (port 2) is live and never queued for an absent agent.
   */
  private queuedInput(raw: RawMessage): boolean {
    if (raw.type !== MessageType.MouseState || raw.port !== ChunkPort.Client || this.clientAnnounced) return false;
    this.staleInput++;
    return true;
  }

  private onError(err: VdagentError, port: number | undefined): void {
    const where = port === undefined ? '' : ` (chunk port ${port})`;
    this.log.warn(`${ErrorCode[err.code]}: ${err.message}${where}; ${err.severity === Severity.Resync ? 'reopening the port' : 'message dropped'}`);
    if (err.severity === Severity.Resync) this.emit('resync', err);
    if (err.code === ErrorCode.MessageCut && port === ChunkPort.Client) this.clientCut();
  }

  /**
   * The client's stream started over in the middle of a message: a new client whose old one
   * never said goodbye (semi-seamless migration). Everything CLIENT_DISCONNECTED resets is reset,
   * and answers still waiting for the old client are dropped rather than given to the new one.
   */
  private clientCut(): void {
    this.log.info('client stream cut: a new client');
    this.output.dropWaiting();
    this.newClient('client stream cut');
  }

  private reportOnce(type: number, text: string): void {
    if (this.reportedTypes.has(type)) return;
    this.reportedTypes.add(type);
    this.log.warn(text);
  }
}

/** Collects FILE_XFER_DATA payloads into `blocks`' blocks, everything else into new buffers. */
function transferAllocator(blocks: BlockPool | undefined): ((type: number, size: number) => Buffer) | undefined {
  if (!blocks) return undefined;
  return (type, size) => (type === MessageType.FileXferData ? blocks.take(size) : Buffer.allocUnsafe(size));
}
