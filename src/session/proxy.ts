import type { ActionModule, ModuleContext } from '../actions/module.js';
import type { SessionGate, SessionState } from '../actions/session-gate.js';
import { CapabilitySet, type Capability, type Message, messageName, MessageType } from '../protocol/index.js';

/** What a proxy asks of the bridge that owns the helper. */
export interface ProxyHost {
  /** The session state as this module sees it. */
  state(name: string): SessionState;
  /** The module was switched on. */
  attach(proxy: SessionModuleProxy): void;
  /** The module was switched off. */
  detach(proxy: SessionModuleProxy): void;
  /** Sends a client message to the module in the helper. */
  forward(proxy: SessionModuleProxy, message: Message): void;
  /** Tells the module in the helper to forget the client. */
  reset(proxy: SessionModuleProxy): void;
  /** Tells the module in the helper the client's new capabilities. */
  announced(proxy: SessionModuleProxy): void;
  /** The bits the module in the helper said it can serve now; undefined when it said nothing (all of them). */
  offered(name: string): ReadonlySet<number> | undefined;
  /** We announced our capabilities to the client. */
  agentAnnounced(proxy: SessionModuleProxy): void;
}

/**
 * What became of a message from the helper: queued for the client (the output queue then gives
 * its bytes back), dropped (made for a client that is gone, or refused by the output queue), or
 * refused (a type the module may not send).
 */
export type Delivery = 'queued' | 'dropped' | 'refused';

/**
 * A session module as the daemon's agent connection sees it: the daemon starts and stops it like
 * any module, and it stands for the real one in the helper. Its capability bits and its answers
 * follow the session state through the module's gate; its bits are further only those the module
 * in the helper offers (never more than the gate's).
 */
export class SessionModuleProxy implements ActionModule {
  readonly name: string;
  readonly handles: readonly MessageType[];
  readonly host = 'session';
  private ctx: ModuleContext | undefined;

  constructor(
    module: ActionModule,
    private readonly gate: SessionGate,
    private readonly bridge: ProxyHost,
  ) {
    this.name = module.name;
    this.handles = module.handles;
  }

  get capabilities(): readonly Capability[] {
    const bits = this.gate.capabilities(this.bridge.state(this.name));
    const offered = this.bridge.offered(this.name);
    return offered ? bits.filter((bit) => offered.has(bit)) : bits;
  }

  /** The module's actions.d settings, as the helper receives them. */
  get settings(): [string, string][] {
    return [...(this.ctx?.settings ?? [])];
  }

  /** The client's last announced capabilities. */
  clientCaps(): CapabilitySet {
    return this.ctx?.clientCaps() ?? CapabilitySet.empty;
  }

  async start(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
    this.bridge.attach(this);
  }

  async stop(): Promise<void> {
    this.lost();
    this.bridge.detach(this);
    this.ctx = undefined;
  }

  handle(message: Message): void {
    const admission = this.gate.admit(message, this.bridge.state(this.name));
    if (admission.kind === 'reply') this.ctx?.send(admission.message);
    else this.bridge.forward(this, message);
  }

  resetClient(): void {
    this.gate.resetClient();
    this.bridge.reset(this);
  }

  clientAnnounced(): void {
    this.bridge.announced(this);
  }

  agentAnnounced(): void {
    this.bridge.agentAnnounced(this);
  }

  /**
   * Passes on a message the module in the helper sent: only the types the module handles and
   * REPLY. One the client cannot hear of is dropped; throws when a field is out of its range (a
   * hostile helper's message).
   */
  fromHelper(message: Message): Delivery {
    if (message.type !== MessageType.Reply && !this.handles.includes(message.type)) return 'refused';
    if (this.ctx && this.gate.passes?.(message, this.ctx.clientCaps()) === false) {
      this.ctx.log.debug(`${this.name}: ${messageName(message.type)} from the helper dropped: made for a client that is gone`);
      return 'dropped';
    }
    const queued = this.ctx?.send(message) ?? false;
    if (this.ctx && !queued) {
      const instead = this.gate.refused?.(message);
      if (instead) this.ctx.send(instead);
    }
    this.gate.sent(message);
    return queued ? 'queued' : 'dropped';
  }

  /** The module in the helper closed what request `id` held. */
  closed(id: number): void {
    this.gate.closed?.(id);
  }

  /** The helper went away: tells the client what it must know (cancelled transfers, released grabs). */
  lost(): void {
    for (const m of this.gate.lost()) this.ctx?.send(m);
  }
}
