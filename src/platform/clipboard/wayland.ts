import { EventEmitter } from 'node:events';
import type { ClipboardBackend, ClipboardBackendEvents, Provider, SelectionName } from './backend.js';
import { WaylandSelection } from './wayland/selection.js';
import { WlTools, type WaylandEnv } from './wayland/tools.js';

/** Tunables of the Wayland clipboard. */
export interface WaylandClipboardOptions {
  /** Longest run of one wl-paste: a read, or a list of the owner's types (default 5 s). */
  timeoutMs?: number;
}

/**
 * The clipboard of a Wayland desktop through wl-clipboard (`wl-paste`, `wl-copy`) and the
 * wlr-data-control protocol: sway and other wlroots compositors, KDE Plasma; no focus needed.
 * Owner changes arrive from `wl-paste --watch` (no polling); a claim runs `wl-copy` with the
 * peer's data, fetched at once since wl-copy cannot wait for a paste.
 */
export class WaylandClipboardBackend extends EventEmitter<ClipboardBackendEvents> implements ClipboardBackend {
  readonly selections: readonly SelectionName[] = ['clipboard', 'primary'];
  private readonly closing = new AbortController();
  private readonly parts: Record<SelectionName, WaylandSelection>;
  private readonly tools: WlTools;

  /** A backend for the compositor that `env` names (WAYLAND_DISPLAY, XDG_RUNTIME_DIR; PATH finds the tools). */
  constructor(env: WaylandEnv, options: WaylandClipboardOptions = {}) {
    super();
    this.tools = new WlTools(env);
    const part = (name: SelectionName): WaylandSelection =>
      new WaylandSelection(name, {
        tools: this.tools,
        timeoutMs: options.timeoutMs ?? 5000,
        signal: this.closing.signal,
        report: (targets) => this.emit('owner', name, targets),
      });
    this.parts = { clipboard: part('clipboard'), primary: part('primary') };
  }

  /** Starts both watches; rejects (and ends what did start) when wl-paste is missing or cannot reach the compositor. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.selections.map((s) => this.parts[s].start()));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  read(selection: SelectionName, target: string, limit: number): Promise<Buffer> {
    return this.parts[selection].read(target, limit);
  }

  claim(selection: SelectionName, targets: readonly string[], provide: Provider): void {
    this.parts[selection].claim(targets, provide);
  }

  disown(selection: SelectionName): void {
    this.parts[selection].disown();
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all(this.selections.map((s) => this.parts[s].close()));
    await this.tools.endAll();
  }
}
