/** Watermarks of an {@link InFlightWindow}: full at or above a high mark, drained at or below both low marks. */
export interface WindowLimits {
  highBytes: number;
  lowBytes: number;
  highItems: number;
  lowItems: number;
}

/**
 * The daemon → helper window: 1 MiB (16 DATA of 64 KiB) and about a thousand messages in flight.
 * Past it the SPICE port stops being read, so what is in flight is bounded by the high marks plus
 * what one port read (64 KiB) decodes to. 4 MiB made no transfer faster, and its 64 blocks in
 * flight outnumbered the blocks kept for reuse: a transfer left 3 MiB of them to the collector
 * per round of the window.
 */
export const HELPER_WINDOW: WindowLimits = { highBytes: 1 << 20, lowBytes: 256 << 10, highItems: 1000, lowItems: 250 };

/**
 * Free transfer blocks (TRANSFER_BLOCK) the daemon and the helper each keep for reuse: as many DATA
 * as the window lets be in flight, the one a port read completes past its mark, and the one being
 * collected. A transfer then takes every block from the pool once it runs, whatever its size, and
 * leaves none to the collector; about 1.1 MiB stay held once it is over.
 */
export const TRANSFER_BLOCKS_KEPT = Math.ceil(HELPER_WINDOW.highBytes / (64 * 1024)) + 2;

/**
 * Messages sent but not yet acknowledged, counted in items and (estimated) bytes. Acks name a
 * count, oldest first; a peer acking more than was sent only empties the window.
 */
export class InFlightWindow {
  private readonly sizes: number[] = [];
  private bytes = 0;
  private isFull = false;

  /** A window with `limits`; `onChange` hears when it becomes full (true) and drained (false). */
  constructor(
    private readonly limits: WindowLimits,
    private readonly onChange: (full: boolean) => void,
  ) {}

  /** Whether the window reached a high mark and has not drained to the low marks since. */
  get full(): boolean {
    return this.isFull;
  }

  /** Messages in flight. */
  get items(): number {
    return this.sizes.length;
  }

  /** Estimated bytes in flight. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** A message of `size` bytes was sent. */
  sent(size: number): void {
    this.sizes.push(size);
    this.bytes += size;
    if (!this.isFull && (this.bytes >= this.limits.highBytes || this.sizes.length >= this.limits.highItems)) this.set(true);
  }

  /** The peer finished `count` messages. */
  acked(count: number): void {
    for (let i = 0; i < count && this.sizes.length > 0; i++) this.bytes -= this.sizes.shift() as number;
    if (this.isFull && this.bytes <= this.limits.lowBytes && this.sizes.length <= this.limits.lowItems) this.set(false);
  }

  /** Forgets everything in flight (the peer is gone). */
  clear(): void {
    this.sizes.length = 0;
    this.bytes = 0;
    if (this.isFull) this.set(false);
  }

  private set(full: boolean): void {
    this.isFull = full;
    this.onChange(full);
  }
}
