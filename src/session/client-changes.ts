/**
 * The client changes each module in the helper has not caught up with. The daemon tells a module
 * of a new client (or none) with a reset, and the module confirms it in order with what it sends;
 * so everything a module sends between the daemon's reset and its confirmation was made for a
 * client that is gone, however late it arrives. The count is the daemon's: a confirmation it did
 * not ask for is ignored, so a helper cannot confirm a client change ahead of time.
 */
export class ClientChanges {
  private readonly pending = new Map<string, number>();

  /** The daemon sent `module` a reset. */
  sent(module: string): void {
    this.pending.set(module, (this.pending.get(module) ?? 0) + 1);
  }

  /** `module` in the helper confirmed the oldest reset it was sent (ignored when none is outstanding). */
  confirmed(module: string): void {
    const n = this.pending.get(module);
    if (n === undefined) return;
    if (n > 1) this.pending.set(module, n - 1);
    else this.pending.delete(module);
  }

  /** Whether what `module` sends now is for the current client (it confirmed every reset). */
  current(module: string): boolean {
    return !this.pending.has(module);
  }

  /** Forgets every outstanding reset: the helper is gone, the next one starts with no client state. */
  clear(): void {
    this.pending.clear();
  }
}
