import { setTimeout as sleep } from 'node:timers/promises';
import { ClipboardReadError, type Provider, type SelectionName } from '../backend.js';
import { chooseOffer, clearSelection, Offer, offerShows, type OfferChoice } from './offer.js';
import { saysNoSelection, selectionArgs, type PasteBounds, type WlTools } from './tools.js';
import { SelectionWatch } from './watch.js';

/** Most bytes of a `--list-types` answer. */
const TYPES_LIMIT = 64 * 1024;

/** How long a wl-copy of ours may take to give up the selection after `wl-copy --clear` before it is killed. */
const CLEAR_GRACE_MS = 500;

/** What one selection needs from its backend. */
export interface SelectionContext {
  tools: WlTools;
  /** Longest run of one wl-paste. */
  timeoutMs: number;
  /** Aborted when the backend closes. */
  signal: AbortSignal;
  /** Tells the module of another owner's types, or that nothing is owned. */
  report(targets: readonly string[] | null): void;
}

/** Why the owner's types are listed again: the compositor announced a selection, or a wl-copy of ours ended. */
type Reason = 'change' | 'check';

/** A claim for the peer: its wl-copy, once the data is there. */
interface Claim {
  offer?: Offer;
}

/**
 * One selection of a Wayland desktop: who owns it (reported without our own claims), reads from
 * the owner, and claims for the peer.
 *
 * Our own claims are recognised by process, not by a marker type: wl-copy offers exactly one MIME
 * type (plus the aliases it adds for text), so no private marker can ride along, and another
 * wl-copy can offer the very same types. What tells is that wl-copy exits as soon as another
 * owner replaces it:
 * - while a claim is under way (the data being fetched, or our wl-copy running), lists are not
 *   reported: they show what our wl-copy is about to replace, or our own offer; if another
 *   application took the selection, our wl-copy ends, and the types are listed and reported then;
 * - after a disown, a list showing the types of a wl-copy of ours that ran while it was taken is
 *   ours too (the list may predate the clear), and the types are listed again when it ends.
 * Two races remain, each as narrow as a process start: the `wl-copy --clear` of a disown also
 * empties the selection for an application that copied just before it; a claim made before the
 * previous claim's wl-copy took the selection may be overtaken by it.
 */
export class WaylandSelection {
  private readonly watch: SelectionWatch;
  /** What the module was last told: another owner's types, nothing, or our own claim. */
  private reported: readonly string[] | null | 'own' = null;
  private claimed: Claim | undefined;
  /** Every wl-copy of ours still running: the current claim's and those it replaces. */
  private readonly offers = new Set<Offer>();
  /** Every wl-copy of ours that ran at some time during the current list: what it shows may be theirs. */
  private listed = new Set<Offer>();
  /** Clears under way, with the kills that may follow them. */
  private readonly clears = new Set<Promise<void>>();
  private listing: Promise<void> | undefined;
  private pending: Reason | undefined;

  constructor(
    private readonly name: SelectionName,
    private readonly ctx: SelectionContext,
  ) {
    this.watch = new SelectionWatch(name, ctx.tools);
    this.watch.on('change', () => void this.refresh('change'));
  }

  /** Starts watching and reports the current owner, if any. */
  async start(): Promise<void> {
    await this.watch.start();
    await this.refresh('change');
  }

  /** The owner's types, or null when nothing owns the selection. */
  async types(): Promise<string[] | null> {
    const r = await this.ctx.tools.paste([...selectionArgs(this.name), '--list-types'], this.bounds(TYPES_LIMIT));
    if (r.code === 0) return r.stdout.toString().split('\n').filter(Boolean);
    if (saysNoSelection(r)) return null;
    throw new ClipboardReadError('failed', `wl-paste --list-types: ${r.stderr.trim() || `status ${r.code}`}`);
  }

  /** Reads the owner's data in one type, byte for byte (`--no-newline`: wl-paste adds none). */
  async read(target: string, limit: number): Promise<Buffer> {
    const r = await this.ctx.tools.paste([...selectionArgs(this.name), '--no-newline', '--type', target], this.bounds(limit));
    if (r.code === 0) return r.stdout;
    if (saysNoSelection(r)) throw new ClipboardReadError('no-owner', `nothing owns the ${this.name} selection`);
    // wl-paste's complaint for a type not offered is not stable across versions: ask for the types.
    const types = await this.types();
    if (types === null) throw new ClipboardReadError('no-owner', `nothing owns the ${this.name} selection`);
    if (!types.includes(target)) throw new ClipboardReadError('refused', `the owner does not offer ${target}`);
    throw new ClipboardReadError('failed', `wl-paste --type ${target}: ${r.stderr.trim() || `status ${r.code}`}`);
  }

  /**
   * Takes the selection for the peer. wl-copy wants the bytes before it offers anything, so the
   * data of the best target is fetched at once (no paste by demand) and only that target is offered;
   * without data or targets the selection is emptied.
   */
  claim(targets: readonly string[], provide: Provider): void {
    if (this.ctx.signal.aborted) return;
    const claim: Claim = {};
    this.claimed = claim;
    this.reported = 'own';
    const choice = chooseOffer(targets);
    void this.fill(claim, choice, choice ? provide(choice.target).catch(() => null) : Promise.resolve(null));
  }

  /** Gives up our claim: the selection is emptied if a wl-copy of ours may hold it. */
  disown(): void {
    if (!this.claimed) return;
    this.claimed = undefined;
    this.reported = null;
    if (this.offers.size > 0) this.clear();
    else void this.refresh('check');
  }

  /** Stops watching and ends every process: our wl-copy gives up the selection as on a disown. */
  async close(): Promise<void> {
    this.claimed = undefined;
    await this.watch.stop();
    if (this.offers.size > 0) this.clear();
    await Promise.all([...this.clears, this.listing]);
  }

  private async fill(claim: Claim, choice: OfferChoice | undefined, data: Promise<Buffer | null>): Promise<void> {
    const bytes = await data;
    if (this.claimed !== claim || this.ctx.signal.aborted) return;
    if (!choice || !bytes) {
      this.claimed = undefined;
      this.reported = null;
      this.clear();
      return;
    }
    claim.offer = new Offer(this.name, choice.mime, bytes, this.ctx.tools, (offer) => this.offerEnded(offer));
    this.offers.add(claim.offer);
    this.listed.add(claim.offer);
  }

  private offerEnded(offer: Offer): void {
    this.offers.delete(offer);
    if (this.claimed?.offer === offer) this.claimed = undefined;
    // Another owner replaced it (or it failed): what the selection holds now is news.
    if (!this.claimed) void this.refresh('check');
  }

  /**
   * Empties the selection: our wl-copy gives it up and exits by itself, deleting its copy of the
   * data. One still running a while after the clear had not taken the selection yet, and is killed.
   */
  private clear(): void {
    const offers = [...this.offers];
    const done = clearSelection(this.name, this.ctx.tools)
      .then(() => Promise.all(offers.map((o) => Promise.race([o.ended, sleep(CLEAR_GRACE_MS)]).then(() => o.kill()))))
      .then(() => void this.clears.delete(done));
    this.clears.add(done);
  }

  /** Lists the types again, one run at a time; reasons arriving meanwhile make one more run. */
  private refresh(reason: Reason): Promise<void> {
    this.pending = this.pending === 'change' || reason === 'change' ? 'change' : 'check';
    this.listing ??= this.drain();
    return this.listing;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const reason = this.pending;
      this.pending = undefined;
      this.listed = new Set(this.offers);
      const types = await this.types().catch(() => undefined);
      if (types !== undefined && !this.ctx.signal.aborted) this.judge(types, reason);
    }
    this.listing = undefined;
  }

  /** Reports a listed owner unless it is us, or the module knows already (a check that found nothing new). */
  private judge(types: string[] | null, reason: Reason): void {
    if (this.claimed) return;
    if (types && [...this.listed].some((o) => offerShows(o.mime, types))) return;
    const known = this.reported;
    if (types === null ? known === null : reason === 'check' && known !== 'own' && known?.join('\n') === types.join('\n')) return;
    this.reported = types;
    this.ctx.report(types);
  }

  private bounds(limit: number): PasteBounds {
    return { limit, timeoutMs: this.ctx.timeoutMs, signal: this.ctx.signal };
  }
}
