/** virsh's `key : value` lines (guestinfo, guestvcpus) as a map. */
export function keyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s*:\s?(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) map.set(m[1], m[2] ?? '');
  }
  return map;
}

/** The rows of a virsh table (those after the header's line of dashes), split on runs of blanks. */
export function rows(text: string): string[][] {
  const lines = text.split('\n').map((l) => l.trim());
  return lines
    .slice(lines.findIndex((l) => /^-+$/.test(l)) + 1)
    .filter(Boolean)
    .map((l) => l.split(/\s+/));
}
