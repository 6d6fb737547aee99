import { EventEmitter } from 'node:events';
import { type ClipboardBackend, type ClipboardBackendEvents, ClipboardReadError, type Provider, type SelectionName } from '../../src/platform/clipboard/backend.js';

/** A desktop clipboard held in memory, behind the real backends' interface, for the module's protocol tests. */
export class MemoryClipboard extends EventEmitter<ClipboardBackendEvents> implements ClipboardBackend {
  readonly selections: readonly SelectionName[] = ['clipboard', 'primary'];
  /** What a local application offers, per selection. */
  readonly local = new Map<SelectionName, Map<string, Buffer>>();
  /** What the agent claimed for the peer, per selection. */
  readonly claims = new Map<SelectionName, { targets: readonly string[]; provide: Provider }>();
  closed = false;

  async start(): Promise<void> {
    for (const [sel, data] of this.local) this.emit('owner', sel, [...data.keys()]);
  }

  /** A local application copies: it owns `selection` with these targets. */
  copy(selection: SelectionName, data: Record<string, Buffer | string>): void {
    this.claims.delete(selection);
    this.local.set(selection, new Map(Object.entries(data).map(([t, d]) => [t, Buffer.from(d)])));
    this.emit('owner', selection, Object.keys(data));
  }

  /** The local owner goes away without a successor. */
  clear(selection: SelectionName): void {
    this.local.delete(selection);
    this.emit('owner', selection, null);
  }

  /** A local application pastes from what the agent claimed. */
  paste(selection: SelectionName, target: string): Promise<Buffer | null> {
    const claim = this.claims.get(selection);
    if (!claim?.targets.includes(target)) return Promise.resolve(null);
    return claim.provide(target);
  }

  async read(selection: SelectionName, target: string, limit: number): Promise<Buffer> {
    const owner = this.local.get(selection);
    if (!owner) throw new ClipboardReadError('no-owner', 'nobody owns it');
    const data = owner.get(target);
    if (!data) throw new ClipboardReadError('refused', `no ${target}`);
    if (data.length > limit) throw new ClipboardReadError('too-large', `${data.length} > ${limit}`);
    return data;
  }

  claim(selection: SelectionName, targets: readonly string[], provide: Provider): void {
    this.local.delete(selection);
    this.claims.set(selection, { targets, provide });
  }

  disown(selection: SelectionName): void {
    this.claims.delete(selection);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
