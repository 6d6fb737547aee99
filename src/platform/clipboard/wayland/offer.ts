import type { ChildProcess } from 'node:child_process';
import type { SelectionName } from '../backend.js';
import { endTool, selectionArgs, type WlTools } from './tools.js';

/** Text targets, the best first: wl-copy offers text under all of these names at once. */
const TEXT_TARGETS = ['text/plain;charset=utf-8', 'UTF8_STRING', 'text/plain', 'TEXT', 'STRING'];

/** Other targets in the order we would rather offer them (spec §7.1: PNG is the one every peer has). */
const IMAGE_TARGETS = ['image/png', 'image/bmp', 'image/tiff', 'image/jpeg'];

/** Which of the peer's targets to fetch, and the MIME type wl-copy offers it as. */
export interface OfferChoice {
  target: string;
  mime: string;
}

/**
 * wl-copy offers one MIME type (plus the text aliases for a text one), so one target is chosen:
 * text before images, PNG before other images, else the first one.
 */
export function chooseOffer(targets: readonly string[]): OfferChoice | undefined {
  const target = [...TEXT_TARGETS, ...IMAGE_TARGETS].find((t) => targets.includes(t)) ?? targets[0];
  if (target === undefined) return undefined;
  // The peer's text is UTF-8 (spec §7.6), whichever name the module asked it by.
  return { target, mime: TEXT_TARGETS.includes(target) ? 'text/plain;charset=utf-8' : target };
}

/** Whether a selection's types are what `wl-copy --type mime` offers: that type and at most the text aliases wl-copy adds. */
export function offerShows(mime: string, types: readonly string[]): boolean {
  return types.includes(mime) && types.every((t) => t === mime || TEXT_TARGETS.includes(t));
}

/**
 * One `wl-copy --foreground` serving the peer's data to local applications. It exits by itself
 * when another owner takes the selection (wl-clipboard 2.1.0 then deletes the copy of the data it
 * keeps in /tmp/wl-copy-buffer-*; a killed one leaves it behind, so killing is the last resort).
 */
export class Offer {
  /** Settles when the process has ended. */
  readonly ended: Promise<void>;
  private readonly child: ChildProcess;
  private running = true;

  constructor(
    selection: SelectionName,
    readonly mime: string,
    data: Buffer,
    tools: WlTools,
    onEnd: (offer: Offer) => void,
  ) {
    this.child = tools.spawn('wl-copy', [...selectionArgs(selection), '--foreground', '--type', mime], ['pipe', 'ignore', 'ignore']);
    this.ended = new Promise((resolve) => {
      const end = (): void => {
        if (!this.running) return;
        this.running = false;
        resolve();
        onEnd(this);
      };
      this.child.once('error', end);
      this.child.once('exit', end);
    });
    // wl-copy ends early (cannot start, no compositor): the rest of the data has nowhere to go.
    this.child.stdin?.on('error', () => undefined);
    this.child.stdin?.end(data);
  }

  /** Kills wl-copy and what it forked. */
  kill(): void {
    if (this.running) endTool(this.child);
  }
}

/** Empties a selection with `wl-copy --clear`; settles when that has run (or could not start). */
export function clearSelection(selection: SelectionName, tools: WlTools): Promise<void> {
  const child = tools.spawn('wl-copy', [...selectionArgs(selection), '--clear'], 'ignore');
  return new Promise((resolve) => {
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}
