import { EventEmitter } from 'node:events';
import { type ClipboardBackend, type ClipboardBackendEvents, ClipboardReadError, type Provider, type SelectionName } from '../backend.js';
import { XA_ATOM, XConnection } from './connection.js';
import { type ClipboardXEvent, type SelectionRequestEvent, selectionNotify } from './events.js';
import { IncomingTransfer } from './incoming.js';
import { OutgoingTransfer } from './outgoing.js';
import type { Xid } from './xlib.js';

/** X11 selection atoms of each selection. */
const ATOM_NAMES: Record<SelectionName, string> = { clipboard: 'CLIPBOARD', primary: 'PRIMARY' };

/** Targets every owner answers that say nothing about the content (ICCCM §2.6.2 and common practice). */
const META_TARGETS = new Set(['TARGETS', 'TIMESTAMP', 'MULTIPLE', 'SAVE_TARGETS', 'DELETE', 'INSERT_SELECTION', 'INSERT_PROPERTY']);

/** Most bytes of a TARGETS list. */
const TARGETS_LIMIT = 64 * 1024;

/** Tunables of the X11 clipboard. */
export interface X11ClipboardOptions {
  /** Longest wait for another client at any step of a transfer (default 5 s). */
  timeoutMs?: number;
}

interface Claim {
  targets: Map<Xid, string>;
  provide: Provider;
}

/**
 * The clipboard of an X11 display through Xlib and XFixes: owner changes arrive as XFixes
 * events (no polling), our claims are real selection ownership, and a paste is served by demand:
 * the data is asked for only when an application requests it.
 */
export class X11ClipboardBackend extends EventEmitter<ClipboardBackendEvents> implements ClipboardBackend {
  readonly selections: readonly SelectionName[] = ['clipboard', 'primary'];
  private conn: XConnection | undefined;
  private readonly timeoutMs: number;
  private readonly claims = new Map<Xid, Claim>();
  private readonly generation = new Map<Xid, number>();
  private readonly incoming = new Set<IncomingTransfer>();
  private readonly outgoing = new Set<OutgoingTransfer>();
  private readonly reads = new Map<Xid, Promise<unknown>>();
  private conversions = 0;

  /** A backend for the X display named `display` (e.g. ":0"). */
  constructor(
    private readonly display: string,
    options: X11ClipboardOptions = {},
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async start(): Promise<void> {
    const conn = new XConnection(this.display);
    this.conn = conn;
    conn.on('event', (e) => this.onEvent(e));
    for (const name of this.selections) {
      const sel = conn.atom(ATOM_NAMES[name]);
      conn.watchSelection(sel);
      const owner = conn.owner(sel);
      if (owner !== 0) this.ownerChanged(sel, owner);
    }
  }

  read(selection: SelectionName, target: string, limit: number): Promise<Buffer> {
    const conn = this.connection();
    const sel = conn.atom(ATOM_NAMES[selection]);
    // One conversion per selection at a time: they share our property for that selection.
    const previous = this.reads.get(sel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.convert(sel, conn.atom(target), limit));
    this.reads.set(sel, next);
    return next;
  }

  claim(selection: SelectionName, targets: readonly string[], provide: Provider): void {
    const conn = this.connection();
    const sel = conn.atom(ATOM_NAMES[selection]);
    this.claims.set(sel, { targets: new Map(targets.map((t) => [conn.atom(t), t])), provide });
    conn.own(sel);
  }

  disown(selection: SelectionName): void {
    const conn = this.connection();
    const sel = conn.atom(ATOM_NAMES[selection]);
    if (this.claims.delete(sel)) conn.disown(sel);
  }

  async close(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    for (const t of this.incoming) t.cancel();
    for (const t of this.outgoing) t.cancel();
    this.claims.clear();
    conn.close();
  }

  private connection(): XConnection {
    if (!this.conn) throw new ClipboardReadError('failed', 'the X11 clipboard is not started');
    return this.conn;
  }

  private async convert(selection: Xid, target: Xid, limit: number): Promise<Buffer> {
    const conn = this.connection();
    if (conn.owner(selection) === 0) throw new ClipboardReadError('no-owner', `nobody owns ${conn.atomName(selection)}`);
    // A few properties in turn, so an owner that answers after we gave up cannot write into the next transfer.
    const property = conn.atom(`VDAGENT_${conn.atomName(selection)}_${this.conversions++ % 4}`);
    const t = new IncomingTransfer(conn, { selection, target, property, limit, timeoutMs: this.timeoutMs });
    this.incoming.add(t);
    try {
      return await t.done;
    } finally {
      this.incoming.delete(t);
    }
  }

  private onEvent(e: ClipboardXEvent): void {
    for (const t of this.incoming) if (t.handle(e)) return;
    for (const t of this.outgoing) if (t.handle(e)) return;
    switch (e.kind) {
      case 'owner':
        this.ownerChanged(e.selection, e.owner);
        return;
      case 'clear':
        if (e.window === this.conn?.window) this.claims.delete(e.selection);
        return;
      case 'request':
        this.serve(e);
        return;
      default:
        return;
    }
  }

  /** Reports a new owner with the targets it offers, unless it is us or it changed again meanwhile. */
  private ownerChanged(selection: Xid, owner: Xid): void {
    const conn = this.conn;
    if (!conn) return;
    const gen = (this.generation.get(selection) ?? 0) + 1;
    this.generation.set(selection, gen);
    const name = this.selections.find((s) => conn.atom(ATOM_NAMES[s]) === selection);
    if (!name || owner === conn.window) return;
    if (owner === 0) {
      this.emit('owner', name, null);
      return;
    }
    this.read(name, 'TARGETS', TARGETS_LIMIT).then(
      (data) => {
        if (this.generation.get(selection) !== gen || !this.conn) return;
        const atoms: Xid[] = [];
        for (let o = 0; o + 8 <= data.length; o += 8) atoms.push(Number(data.readBigUInt64LE(o)));
        const targets = [...new Set(atoms.map((a) => this.conn?.atomName(a) ?? ''))].filter((t) => t && !META_TARGETS.has(t));
        this.emit('owner', name, targets);
      },
      () => {
        // An owner that cannot list its targets offers nothing we can use.
        if (this.generation.get(selection) === gen && this.conn) this.emit('owner', name, []);
      },
    );
  }

  /** Answers an application's paste from a selection we claimed for the peer. */
  private serve(req: SelectionRequestEvent): void {
    const conn = this.connection();
    const claim = this.claims.get(req.selection);
    // Obsolete requestors give no property: the target's name is used (ICCCM §2.2).
    const request = req.property === 0 ? { ...req, property: req.target } : req;
    const refuse = (): void => conn.sendEvent(req.requestor, selectionNotify(request, 0));
    if (!claim) return refuse();
    const targetName = conn.atomName(req.target);
    if (targetName === 'TARGETS') {
      conn.writeLongs(request.requestor, request.property, XA_ATOM, [conn.atom('TARGETS'), ...claim.targets.keys()]);
      conn.sendEvent(request.requestor, selectionNotify(request, request.property));
      return;
    }
    if (!claim.targets.has(req.target)) return refuse();
    // TEXT lets the owner pick the encoding: ours is always UTF-8.
    const type = targetName === 'TEXT' ? conn.atom('UTF8_STRING') : req.target;
    claim.provide(targetName).then(
      (data) => {
        if (this.conn !== conn) return;
        if (!data) return refuse();
        this.outgoing.add(new OutgoingTransfer(conn, request, type, data, this.timeoutMs, (t) => this.outgoing.delete(t)));
      },
      () => {
        if (this.conn === conn) refuse();
      },
    );
  }
}
