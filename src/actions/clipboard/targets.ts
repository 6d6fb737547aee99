import { ClipboardType } from '../../protocol/index.js';

/** The data types this agent carries, in the order it prefers them. */
export const CARRIED_TYPES: readonly ClipboardType[] = [
  ClipboardType.Utf8Text,
  ClipboardType.ImagePng,
  ClipboardType.ImageBmp,
  ClipboardType.ImageTiff,
  ClipboardType.ImageJpg,
];

/** Desktop targets (X11 target names, MIME types) of each type, the best first (spec §7.1). */
const TARGETS: ReadonlyMap<ClipboardType, readonly string[]> = new Map([
  [ClipboardType.Utf8Text, ['UTF8_STRING', 'text/plain;charset=utf-8', 'text/plain', 'TEXT', 'STRING']],
  [ClipboardType.ImagePng, ['image/png']],
  [ClipboardType.ImageBmp, ['image/bmp', 'image/x-bmp', 'image/x-MS-bmp', 'image/x-win-bitmap']],
  [ClipboardType.ImageTiff, ['image/tiff']],
  [ClipboardType.ImageJpg, ['image/jpeg']],
]);

/** Targets whose data is Latin-1, not UTF-8 (ICCCM's STRING). */
const LATIN1 = new Set(['STRING']);

/** Targets offered to local applications for a type the peer has (STRING is left out: it is Latin-1). */
export function offeredTargets(type: ClipboardType): readonly string[] {
  return (TARGETS.get(type) ?? []).filter((t) => !LATIN1.has(t));
}

/** The type a target carries, if it is one we carry (MIME parameters compared without case). */
export function typeOfTarget(target: string): ClipboardType | undefined {
  const t = normalise(target);
  for (const [type, names] of TARGETS) if (names.some((n) => normalise(n) === t)) return type;
  return undefined;
}

/** The types a local owner's targets can give, in our order of preference. */
export function typesOfTargets(targets: readonly string[]): ClipboardType[] {
  const have = new Set(targets.map(typeOfTarget));
  return CARRIED_TYPES.filter((t) => have.has(t));
}

/** The best of a local owner's targets to read a type from. */
export function bestTarget(type: ClipboardType, targets: readonly string[]): string | undefined {
  const offered = new Map(targets.map((t) => [normalise(t), t]));
  for (const name of TARGETS.get(type) ?? []) {
    const hit = offered.get(normalise(name));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Turns data read from a target into the wire form: UTF-8 text without trailing NULs (spec §7.6). */
export function toWire(type: ClipboardType, target: string, data: Buffer): Buffer {
  if (type !== ClipboardType.Utf8Text) return data;
  const text = LATIN1.has(target) ? Buffer.from(data.toString('latin1'), 'utf8') : data;
  let end = text.length;
  while (end > 0 && text[end - 1] === 0) end--;
  return text.subarray(0, end);
}

function normalise(target: string): string {
  return target.toLowerCase().replace(/\s+/g, '');
}
