import {
  Capability,
  ClipboardSelection,
  ClipboardType,
  type ClipboardGrabMessage,
  type ClipboardMessage,
  type ClipboardRequestMessage,
  type Message,
  messageName,
  MessageType,
} from '../../protocol/index.js';
import { type ClipboardBackend, ClipboardReadError, type SelectionName } from '../../platform/clipboard/backend.js';
import { releaseGrown } from '../../platform/growable-bytes.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { type ClipboardBackendSetting, startClipboardBackend } from './backend-choice.js';
import { judgeGrabSerial } from './grab-serial.js';
import { bestTarget, offeredTargets, toWire, typeOfTarget, typesOfTargets } from './targets.js';
import { isOn } from '../on-off.js';
import { MAX_OWED_REQUESTS } from './gate.js';
import { ReadTurns } from './read-turns.js';

/** How long a local paste waits for the client's data. */
export const PASTE_TIMEOUT_MS = 10_000;

/**
 * Most bytes of a local owner's data read and answered, whatever limit the client set (a higher
 * MAX_CLIPBOARD does not raise it): one clipboard message of `--max-message-size`'s default, which
 * the helper's frames to the daemon carry.
 */
export const DEFAULT_READ_LIMIT = 128 * 1024 * 1024;

const SELECTIONS: ReadonlyMap<ClipboardSelection, SelectionName> = new Map([
  [ClipboardSelection.Clipboard, 'clipboard'],
  [ClipboardSelection.Primary, 'primary'],
]);

/** A local paste waiting for the client's CLIPBOARD. */
interface Paste {
  type: ClipboardType;
  resolve(data: Buffer | null): void;
  timer: NodeJS.Timeout;
}

/** One selection as the agent sees it (spec §7.5). */
interface Selection {
  /** none: nobody; self: a local application (its targets); peer: the client (its types). */
  owner: 'none' | 'self' | 'peer';
  localTargets: readonly string[];
  /** Whether the client was told of the local owner with a GRAB. */
  announced: boolean;
  peerTypes: readonly ClipboardType[];
  /** The grab serial counter. */
  serial: number;
  /**
   * We announced since the client's last grab: a client grab with serial 0 is the client having
   * restarted its count (qemu-vdagent does on every announcement it receives), not a stale grab.
   */
  peerMayRestart: boolean;
  /** Bumped on every ownership change: answers for an older owner are void. */
  generation: number;
  pastes: Paste[];
}

/** What a clipboard module is built with; the defaults are the session helper's. */
export interface ClipboardModuleOptions {
  /** Makes the backend (default: chosen from the `backend` setting and this process's session environment). */
  backend?: (setting: ClipboardBackendSetting) => ClipboardBackend;
  /** How long a local paste waits for the client (default PASTE_TIMEOUT_MS). */
  pasteTimeoutMs?: number;
}

/**
 * The clipboard by demand (spec §7), in the session helper: local owner changes become
 * CLIPBOARD_GRAB (never RELEASE before a new GRAB: bit 16), with grab serials (bit 17) and the
 * selection prefix (bit 6) when the client has them; a client GRAB makes the agent the local owner
 * on the client's behalf, and data crosses only when a paste asks for it. Every CLIPBOARD_REQUEST
 * gets exactly one answer; data over the client's MAX_CLIPBOARD goes as an empty CLIPBOARD.
 */
export class ClipboardModule implements ActionModule {
  readonly name = 'clipboard';
  readonly capabilities = [
    Capability.ClipboardByDemand,
    Capability.ClipboardSelection,
    Capability.GuestLineEndLf,
    Capability.MaxClipboard,
    Capability.ClipboardNoReleaseOnRegrab,
    Capability.ClipboardGrabSerial,
  ];
  readonly handles = [MessageType.Clipboard, MessageType.ClipboardGrab, MessageType.ClipboardRequest, MessageType.ClipboardRelease, MessageType.MaxClipboard];
  readonly host = 'session';
  private ctx: ModuleContext | undefined;
  private backend: ClipboardBackend | undefined;
  private readonly selections = new Map<ClipboardSelection, Selection>();
  private maxClipboard = -1;
  /** Counts the clients (resets): an answer read for a client that is gone is not sent to the next one. */
  private client = 0;
  /**
   * Reads of the guest's selections under way or waiting for their turn: at most
   * MAX_OWED_REQUESTS. The daemon's bound on requests owed starts over with each client; this one
   * holds a host that asks and leaves again and again (a read under way outlasts its client).
   */
  private readonly turns = new ReadTurns<ClipboardSelection>();

  constructor(private readonly options: ClipboardModuleOptions = {}) {}

  async start(ctx: ModuleContext): Promise<void> {
    const setting = (ctx.settings.get('backend') ?? 'auto') as ClipboardBackendSetting;
    const primary = isOn(ctx.settings.get('primary'), true);
    this.ctx = ctx;
    // Listening starts before the backend does: it reports the current owners as it starts.
    const prepare = (backend: ClipboardBackend): void => {
      this.selections.clear();
      for (const [sel, name] of SELECTIONS) {
        if (!backend.selections.includes(name) || (name === 'primary' && !primary)) continue;
        this.selections.set(sel, { owner: 'none', localTargets: [], announced: false, peerTypes: [], serial: 0, peerMayRestart: false, generation: 0, pastes: [] });
      }
      this.backend = backend;
      backend.on('owner', (name, targets) => this.localOwner(name, targets));
    };
    if (this.options.backend) {
      const backend = this.options.backend(setting);
      prepare(backend);
      await backend.start();
    } else {
      await startClipboardBackend(setting, process.env, prepare, (why) => ctx.log.info(`clipboard: ${why}`));
    }
  }

  async stop(): Promise<void> {
    for (const s of this.selections.values()) this.failPastes(s);
    this.selections.clear();
    await this.backend?.close();
    this.backend = undefined;
    this.ctx = undefined;
  }

  handle(message: Message): void {
    if (message.type !== MessageType.MaxClipboard && !this.byDemand) return this.refuse(message);
    switch (message.type) {
      case MessageType.ClipboardGrab:
        return this.peerGrab(message);
      case MessageType.ClipboardRelease:
        return this.peerRelease(message.selection);
      case MessageType.ClipboardRequest:
        return void this.peerRequest(message);
      case MessageType.Clipboard:
        return this.peerData(message);
      case MessageType.MaxClipboard:
        this.maxClipboard = message.max;
        return;
      default:
        return;
    }
  }

  resetClient(): void {
    this.client++;
    this.turns.letGoWaiting();
    this.maxClipboard = -1;
    for (const [sel, s] of this.selections) {
      s.serial = 0;
      s.peerMayRestart = false;
      s.announced = false;
      if (s.owner === 'peer') this.dropPeer(sel, s);
    }
  }

  /** A client grab with serial 0 may follow: see Selection.peerMayRestart. */
  agentAnnounced(): void {
    for (const s of this.selections.values()) s.peerMayRestart = true;
  }

  /**
   * A clipboard message from a client that did not announce CLIPBOARD_BY_DEMAND (one that never
   * announces): it has no clipboard (spec §6.6), so its grab, data or release changes nothing here;
   * a request still gets its one answer, NONE, and the guest's clipboard stays in the guest.
   */
  private refuse(message: Message): void {
    this.ctx?.log.info(`clipboard: ${messageName(message.type)} dropped: the client did not announce CLIPBOARD_BY_DEMAND`);
    if (message.type === MessageType.ClipboardRequest) {
      this.send({ type: MessageType.Clipboard, selection: message.selection, dataType: ClipboardType.None, data: Buffer.alloc(0) });
    }
  }

  /** The client's capabilities changed: a local owner it has not heard of yet is announced. */
  clientAnnounced(): void {
    for (const [sel, s] of this.selections) if (s.owner === 'self' && !s.announced) this.sendGrab(sel, s);
  }

  private get byDemand(): boolean {
    return this.ctx?.clientCaps().has(Capability.ClipboardByDemand) ?? false;
  }

  /** Whether the client can hear of this selection at all. */
  private reaches(sel: ClipboardSelection): boolean {
    return this.byDemand && (sel === ClipboardSelection.Clipboard || (this.ctx?.clientCaps().has(Capability.ClipboardSelection) ?? false));
  }

  private send(message: Message): void {
    this.ctx?.send(message);
  }

  // --- guest side ---

  private localOwner(name: SelectionName, targets: readonly string[] | null): void {
    const sel = [...SELECTIONS].find(([, n]) => n === name)?.[0];
    const s = sel === undefined ? undefined : this.selections.get(sel);
    if (sel === undefined || !s) return;
    const types = targets ? typesOfTargets(targets) : [];
    if (!targets || types.length === 0) {
      // Nothing owned, or nothing we can carry: the client stops offering the old data.
      if (s.owner !== 'self') return;
      const told = s.announced;
      this.setOwner(s, 'none');
      if (told && this.reaches(sel)) this.send({ type: MessageType.ClipboardRelease, selection: sel });
      return;
    }
    if (s.owner === 'peer') this.failPastes(s);
    // A local owner after a local one keeps the generation: a read under way reads the selection
    // as it is now and is answered with that, not NONE. The Wayland backend may report one new
    // owner twice (once when our own wl-copy ends, once on the compositor's event), and the second
    // report failed the client's request in between.
    if (s.owner === 'self') s.announced = false;
    else this.setOwner(s, 'self');
    s.localTargets = targets;
    this.sendGrab(sel, s);
  }

  private sendGrab(sel: ClipboardSelection, s: Selection): void {
    if (!this.reaches(sel)) return;
    const grab: ClipboardGrabMessage = { type: MessageType.ClipboardGrab, selection: sel, types: typesOfTargets(s.localTargets) };
    if (this.ctx?.clientCaps().has(Capability.ClipboardGrabSerial)) {
      grab.serial = s.serial;
      s.serial = (s.serial + 1) >>> 0;
    }
    s.announced = true;
    this.ctx?.log.debug(`clipboard: guest owns ${SELECTIONS.get(sel)} (${grab.types.map((t) => ClipboardType[t]).join(', ')})`);
    this.send(grab);
  }

  /** The client wants the local owner's data (answered exactly once). */
  private async peerRequest(req: ClipboardRequestMessage): Promise<void> {
    const none: ClipboardMessage = { type: MessageType.Clipboard, selection: req.selection, dataType: ClipboardType.None, data: Buffer.alloc(0) };
    const s = this.selections.get(req.selection);
    const target = s?.owner === 'self' ? bestTarget(req.dataType, s.localTargets) : undefined;
    if (!s || !this.backend || target === undefined) return this.send(none);
    if (this.turns.size >= MAX_OWED_REQUESTS) {
      // Same text each time, so the logger's limit on identical lines holds a flooding client.
      this.ctx?.log.warn(`clipboard: ${MAX_OWED_REQUESTS} reads of the guest's selections under way or waiting; request answered NONE`);
      return this.send(none);
    }
    const generation = s.generation;
    const client = this.client;
    const max = this.maxClipboard;
    const limit = max >= 0 ? Math.min(max, DEFAULT_READ_LIMIT) : DEFAULT_READ_LIMIT;
    if (!(await this.turns.turn(req.selection))) return; // the client that asked left before its turn came
    let data: Buffer;
    try {
      const backend = this.backend;
      if (this.client !== client || !backend) return;
      const read = await backend.read(SELECTIONS.get(req.selection) ?? 'clipboard', target, limit);
      data = toWire(req.dataType, target, read);
      // Bytes converted into a buffer of their own are done with: grown ones are freed at once.
      if (data.buffer !== read.buffer) releaseGrown(read);
    } catch (err) {
      if (this.client !== client) return;
      const tooLarge = err instanceof ClipboardReadError && err.code === 'too-large' && max >= 0;
      this.ctx?.log.info(`clipboard: cannot read ${target} from the guest: ${String(err)}`);
      // Over the client's limit: the requested type with no bytes, as the Linux agent does (spec §7.7).
      return this.send(tooLarge ? { ...none, dataType: req.dataType } : none);
    } finally {
      this.turns.done(req.selection);
    }
    // Read data not sent is done with (the channel frees what it sends once written).
    if (this.client !== client) return releaseGrown(data); // the client that asked is gone; the next one did not ask
    if (s.generation !== generation) {
      releaseGrown(data);
      return this.send(none);
    }
    if (data.length > limit) {
      // Grown past the limit in conversion (Latin-1 to UTF-8): as when read past it.
      releaseGrown(data);
      return this.send(max >= 0 ? { ...none, dataType: req.dataType } : none);
    }
    this.send({ type: MessageType.Clipboard, selection: req.selection, dataType: req.dataType, data });
  }

  // --- client side ---

  private peerGrab(grab: ClipboardGrabMessage): void {
    const s = this.selections.get(grab.selection);
    if (!s || !this.backend) return;
    const restarted = s.peerMayRestart && grab.serial === 0;
    s.peerMayRestart = false;
    if (restarted) s.serial = 1;
    else if (grab.serial !== undefined) {
      const verdict = judgeGrabSerial(s.serial, grab.serial);
      s.serial = verdict.next;
      if (!verdict.accept) {
        this.ctx?.log.debug(`clipboard: stale client grab (serial ${grab.serial}, expected ${s.serial}) discarded`);
        return;
      }
    }
    this.failPastes(s);
    this.setOwner(s, 'peer');
    s.peerTypes = grab.types.filter((t) => offeredTargets(t).length > 0);
    const targets = s.peerTypes.flatMap(offeredTargets);
    const name = SELECTIONS.get(grab.selection) ?? 'clipboard';
    this.backend.claim(name, targets, (target) => this.paste(grab.selection, target));
  }

  private peerRelease(sel: ClipboardSelection): void {
    const s = this.selections.get(sel);
    if (s?.owner === 'peer') this.dropPeer(sel, s);
  }

  private peerData(message: ClipboardMessage): void {
    const s = this.selections.get(message.selection);
    if (!s) return;
    const i = message.dataType === ClipboardType.None ? 0 : s.pastes.findIndex((p) => p.type === message.dataType);
    const paste = s.pastes[i];
    if (i < 0 || !paste) return void this.ctx?.log.debug(`clipboard: unrequested ${ClipboardType[message.dataType] ?? message.dataType} data dropped`);
    s.pastes.splice(i, 1);
    clearTimeout(paste.timer);
    paste.resolve(message.dataType === ClipboardType.None ? null : toWire(message.dataType, '', message.data));
  }

  /** A local application pastes what the client owns: ask the client, wait for its answer. */
  private paste(sel: ClipboardSelection, target: string): Promise<Buffer | null> {
    const s = this.selections.get(sel);
    const type = typeOfTarget(target);
    if (!s || s.owner !== 'peer' || type === undefined || !s.peerTypes.includes(type)) return Promise.resolve(null);
    return new Promise((resolve) => {
      const paste: Paste = {
        type,
        resolve,
        timer: setTimeout(() => {
          s.pastes = s.pastes.filter((p) => p !== paste);
          this.ctx?.log.info(`clipboard: no answer from the client for ${ClipboardType[type]}`);
          resolve(null);
        }, this.options.pasteTimeoutMs ?? PASTE_TIMEOUT_MS),
      };
      s.pastes.push(paste);
      this.send({ type: MessageType.ClipboardRequest, selection: sel, dataType: type });
    });
  }

  private dropPeer(sel: ClipboardSelection, s: Selection): void {
    this.failPastes(s);
    this.setOwner(s, 'none');
    this.backend?.disown(SELECTIONS.get(sel) ?? 'clipboard');
  }

  private setOwner(s: Selection, owner: Selection['owner']): void {
    s.owner = owner;
    s.generation++;
    s.announced = false;
    s.localTargets = [];
    s.peerTypes = [];
  }

  private failPastes(s: Selection): void {
    for (const p of s.pastes.splice(0)) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
  }
}
