/**
 * Which key of a set GLib's GHashTable (2.74, g_str_hash) yields first when iterated. QEMU's input
 * visitor puts an object's keys in one, removes each member it visits and names the first key
 * left as the unexpected one: with two unexpected keys, the one qemu-ga names depends on this
 * table's layout, not on the request's order.
 */

const UNUSED = 0;
const TOMBSTONE = 1;
const MIN_SHIFT = 3;
/** GLib's prime modulus for each table size 1 << shift. */
const PRIME_MOD = [1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647];

const isReal = (hash: number): boolean => hash >= 2;

/** g_str_hash: djb2 over the UTF-8 bytes read as signed chars; 0 and 1 are reserved, so they become 2. */
export function gStrHash(key: string): number {
  let h = 5381;
  for (const byte of Buffer.from(key, 'utf8')) h = (Math.imul(h, 33) + (byte < 0x80 ? byte : byte - 0x100)) >>> 0;
  return isReal(h) ? h : 2;
}

/** Open addressing with quadratic probing and in-place resizing, as GLib 2.74 lays a table out. */
class StringSet {
  private size = 0;
  private mod = 0;
  private mask = 0;
  private nnodes = 0;
  private noccupied = 0;
  private hashes: number[] = [];
  private keys: (string | undefined)[] = [];

  constructor() {
    this.setShift(MIN_SHIFT);
    this.hashes = new Array<number>(this.size).fill(UNUSED);
    this.keys = new Array<string | undefined>(this.size).fill(undefined);
  }

  private setShift(shift: number): void {
    this.size = 2 ** shift;
    this.mod = PRIME_MOD[shift] as number;
    this.mask = this.size - 1;
  }

  private toIndex(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % this.mod;
  }

  /** The node holding `key`, else where it would go (the first tombstone passed, else the empty slot). */
  private lookup(key: string, hash: number): number {
    let index = this.toIndex(hash);
    let tombstone: number | undefined;
    for (let step = 1; this.hashes[index] !== UNUSED; step++) {
      const h = this.hashes[index] as number;
      if (h === hash && this.keys[index] === key) return index;
      if (h === TOMBSTONE && tombstone === undefined) tombstone = index;
      index = (index + step) & this.mask;
    }
    return tombstone ?? index;
  }

  add(key: string): void {
    const hash = gStrHash(key);
    const index = this.lookup(key, hash);
    const old = this.hashes[index] as number;
    if (isReal(old)) return;
    this.hashes[index] = hash;
    this.keys[index] = key;
    this.nnodes++;
    if (old === UNUSED) {
      this.noccupied++;
      this.maybeResize();
    }
  }

  delete(key: string): void {
    const index = this.lookup(key, gStrHash(key));
    if (!isReal(this.hashes[index] as number)) return;
    this.hashes[index] = TOMBSTONE;
    this.keys[index] = undefined;
    this.nnodes--;
    this.maybeResize();
  }

  /** The first key in slot order, as g_hash_table_iter_next returns it. */
  first(): string | undefined {
    const index = this.hashes.findIndex(isReal);
    return index < 0 ? undefined : this.keys[index];
  }

  private maybeResize(): void {
    if ((this.size > this.nnodes * 4 && this.size > 2 ** MIN_SHIFT) || this.size <= this.noccupied + Math.floor(this.noccupied / 16)) this.resize();
  }

  /** g_hash_table_resize: a new size for 4/3 of the nodes, entries moved in place slot by slot. */
  private resize(): void {
    const oldSize = this.size;
    let shift = 0;
    for (let n = Math.trunc(this.nnodes * 1.333); n > 0; n >>= 1) shift++;
    this.setShift(Math.max(shift, MIN_SHIFT));
    for (let i = oldSize; i < this.size; i++) {
      this.hashes[i] = UNUSED;
      this.keys[i] = undefined;
    }
    const placed = new Array<boolean>(Math.max(this.size, oldSize)).fill(false);
    for (let i = 0; i < oldSize; i++) {
      let hash = this.hashes[i] as number;
      if (!isReal(hash)) {
        this.hashes[i] = UNUSED;
        continue;
      }
      if (placed[i]) continue;
      this.hashes[i] = UNUSED;
      let key = this.keys[i];
      this.keys[i] = undefined;
      for (;;) {
        let index = this.toIndex(hash);
        for (let step = 1; placed[index]; step++) index = (index + step) & this.mask;
        placed[index] = true;
        const replaced = this.hashes[index] as number;
        const replacedKey = this.keys[index];
        this.hashes[index] = hash;
        this.keys[index] = key;
        if (!isReal(replaced)) break;
        hash = replaced;
        key = replacedKey;
      }
    }
    this.hashes.length = this.size;
    this.keys.length = this.size;
    this.noccupied = this.nnodes;
  }
}

/**
 * The key qemu-ga reports as unexpected: `keys` in the order QEMU's QDict iterates them (they
 * fill the table in that order), less the `visited` members removed in the order they were
 * visited, the first one left in table order.
 */
export function firstUnvisitedKey(keys: readonly string[], visited: readonly string[]): string | undefined {
  const set = new StringSet();
  for (const key of keys) set.add(key);
  for (const key of visited) set.delete(key);
  return set.first();
}
