/** What a value costs at least, beyond its contents, once serialized and held. */
const OVERHEAD = 16;

/**
 * A cheap estimate of a channel message's size in bytes: buffer and string lengths plus a fixed
 * cost per value, walked without serializing. File data dominates; the rest is small.
 */
export function estimateSize(value: unknown, depth = 0): number {
  if (typeof value === 'string') return OVERHEAD + value.length;
  if (ArrayBuffer.isView(value)) return OVERHEAD + value.byteLength;
  if (typeof value !== 'object' || value === null || depth > 8) return OVERHEAD;
  let size = OVERHEAD;
  if (Array.isArray(value)) for (const v of value as unknown[]) size += estimateSize(v, depth + 1);
  else for (const [k, v] of Object.entries(value)) size += k.length + estimateSize(v, depth + 1);
  return size;
}
