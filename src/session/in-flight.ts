/** Watermarks of an {@link InFlightWindow}: full at or above a high mark, drained at or below both low marks. */
export interface WindowLimits {
  highBytes: number;
  lowBytes: number;
  highItems: number;
  lowItems: number;
}

/**
 * The daemon → helper window: a few MiB and about a thousand messages in flight. Past it the SPICE
 * port stops being read, so what is in flight is bounded by the high marks plus what one port read
 * (64 KiB) decodes to.
 */
export const HELPER_WINDOW: WindowLimits = { highBytes: 4 << 20, lowBytes: 1 << 20, highItems: 1000, lowItems: 250 };

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
