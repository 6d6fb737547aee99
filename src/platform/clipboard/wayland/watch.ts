import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { SelectionName } from '../backend.js';
import { endTool, selectionArgs, startError, type WlTools } from './tools.js';

/** Events of a {@link SelectionWatch}. */
export interface SelectionWatchEvents {
  /** The compositor announced the selection anew: a new owner, or none. */
  change: [];
}

/**
 * The compositor's selection event on a data-control device, as libwayland's WAYLAND_DEBUG
 * prints it: `[1234.567] zwlr_data_control_device_v1@3.selection(nil)` up to libwayland 1.22
 * (Debian 12), `[1234.567] {Default Queue} zwlr_data_control_device_v1#3.selection(nil)` from
 * 1.23 on (Debian 13); `primary_selection` for the primary one; ext_data_control_v1 on newer
 * wl-clipboard. Requests the client sends are `set_selection` and never match.
 */
const SELECTION_EVENT: Record<SelectionName, RegExp> = {
  clipboard: /_data_control_device_v1[@#]\d+\.selection\(/,
  primary: /_data_control_device_v1[@#]\d+\.primary_selection\(/,
};

/** Whether a line of wl-paste's WAYLAND_DEBUG log is the compositor announcing `selection`. */
export function announcesSelection(selection: SelectionName, line: string): boolean {
  return SELECTION_EVENT[selection].test(line);
}

/**
 * Follows one selection with `wl-paste --watch true` (wlr-data-control: no focus needed).
 *
 * The signal of a change is the selection event itself, read from the wire log wl-paste writes to
 * standard error under WAYLAND_DEBUG=1, not the output of the watch command: wl-clipboard 2.1.0
 * (Debian 12) runs the command only when a new owner appears, never when the selection is
 * cleared or its owner exits, and not at all for an empty selection at start, so it could report
 * neither a release nor when the watch is in place. The event is only a hint: the owner's types
 * are always listed afresh with `wl-paste --list-types`.
 */
export class SelectionWatch extends EventEmitter<SelectionWatchEvents> {
  private child: ChildProcess | undefined;

  constructor(
    private readonly selection: SelectionName,
    private readonly tools: WlTools,
  ) {
    super();
  }

  /** Starts wl-paste; resolves once the compositor has sent the current selection (the watch is in place). */
  start(): Promise<void> {
    const child = this.tools.spawn('wl-paste', [...selectionArgs(this.selection), '--watch', 'true'], ['ignore', 'ignore', 'pipe'], { WAYLAND_DEBUG: '1' });
    this.child = child;
    const complaints: string[] = [];
    let ready = false;
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stderr as NodeJS.ReadableStream, crlfDelay: Infinity }).on('line', (line) => {
        if (announcesSelection(this.selection, line)) {
          if (!ready) resolve();
          else this.emit('change');
          ready = true;
        } else if (!line.startsWith('[') && complaints.length < 5) complaints.push(line.trim());
      });
      child.once('error', (err) => reject(startError('wl-paste', err)));
      child.once('close', (code, signal) => {
        if (!ready) reject(new Error(`wl-paste --watch ended (${signal ?? `status ${code}`})${complaints.length ? `: ${complaints.join('; ')}` : ''}`));
      });
    });
  }

  /** Ends wl-paste and the watch command. */
  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    endTool(child);
    return closed;
  }
}
