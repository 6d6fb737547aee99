import type { CapabilitySet, Capability, Message, MessageType } from '../protocol/index.js';
import type { Logger } from '../log/logger.js';

/** Where a module runs: the root daemon, or the session helper inside the user's desktop. */
export type ModuleProcess = 'daemon' | 'session';

/** What a running module may use. Modules never touch the port. */
export interface ModuleContext {
  /** Queues a message to the client; false when the output queue refused it. */
  send(message: Message): boolean;
  /** The client's last announced capabilities. */
  clientCaps(): CapabilitySet;
  /** The module's logger. */
  log: Logger;
  /** The `key = value` settings of its actions.d entry. */
  settings: ReadonlyMap<string, string>;
  /** Command-line options that reach modules. */
  options: ModuleOptions;
  /** In the session helper: tells the daemon what request `id` held is gone (a transfer's file is closed). */
  closed?(id: number): void;
  /** Says the module's sink is behind (true) or caught up (false); the port is not read meanwhile. */
  behind?(behind: boolean): void;
  /**
   * In the session helper: the module can serve only these of its `capabilities` now (what it acts
   * on came or went, e.g. the session's sound server); the daemon announces again when they change.
   * A module that never calls it offers all of them.
   */
  offer?(capabilities: readonly Capability[]): void;
}

/** Command-line options modules may read. */
export interface ModuleOptions {
  /** `--fake-uinput PATH`: write pointer events as input_event records to PATH. */
  fakeUinput?: string;
}

/** A unit of agent behaviour, switched on and off by actions.d. */
export interface ActionModule {
  /** The actions.d entry name that enables it. */
  readonly name: string;
  /** Capability bits it lets the agent announce. */
  readonly capabilities: readonly Capability[];
  /** Message types it handles. */
  readonly handles: readonly MessageType[];
  /** Which process runs it. */
  readonly host: ModuleProcess;
  /** Starts the module; rejecting keeps it off. */
  start(ctx: ModuleContext): Promise<void>;
  /** Stops the module and releases what it holds. */
  stop(): Promise<void>;
  /** Handles one message of a type in `handles`. */
  handle(message: Message): void | Promise<void>;
  /** Types of `handles` whose byte arrays it no longer refers to once handle() settled: their memory may be reused. */
  readonly releases?: readonly MessageType[];
  /** Forgets per-client state (new client, CLIENT_DISCONNECTED). */
  resetClient(): void;
  /** The client announced its capabilities (after any reset): what waited for them may go now. */
  clientAnnounced?(): void;
  /** We announced our capabilities to the client, which may restart its grab serials at 0 (qemu-vdagent does). */
  agentAnnounced?(): void;
}
