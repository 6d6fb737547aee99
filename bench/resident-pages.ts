import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const PAGE = 4096;
/** pagemap: bit 63 says the page is in memory, bits 0–54 are its page frame number. */
const PRESENT = 1n << 63n;
const FRAME = (1n << 55n) - 1n;

/** The virtual ranges of a process that hold resident pages, from /proc/PID/smaps. */
function residentRanges(pid: number): [number, number][] {
  const ranges: [number, number][] = [];
  let range: [number, number] | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (head) range = [parseInt(head[1] as string, 16), parseInt(head[2] as string, 16)];
    else if (range && /^Rss:\s+[1-9]/.test(line)) ranges.push(range);
  }
  return ranges;
}

/** The physical frames of a process's resident pages (/proc/PID/pagemap; frame numbers need root, else undefined). */
function residentFrames(pid: number): Set<number> | undefined {
  const frames = new Set<number>();
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    for (const [start, end] of residentRanges(pid)) {
      const entries = Buffer.alloc(((end - start) / PAGE) * 8);
      readSync(fd, entries, 0, entries.length, (start / PAGE) * 8);
      for (let i = 0; i < entries.length; i += 8) {
        const entry = entries.readBigUInt64LE(i);
        if (entry & PRESENT) frames.add(Number(entry & FRAME));
      }
    }
  } finally {
    closeSync(fd);
  }
  return frames.size > 0 && [...frames].some((f) => f !== 0) ? frames : undefined;
}

/**
 * The memory a set of processes occupies together, each physical page counted once however many
 * of them map it, and in full whatever else maps it too (undefined without root). Unlike PSS, it
 * does not depend on the other programs running: it is the set's footprint on a machine where they
 * would run alone, the same as PSS computed among the set's own processes only.
 */
export function uniqueResidentBytes(pids: readonly number[]): number | undefined {
  const union = new Set<number>();
  for (const pid of pids) {
    const frames = residentFrames(pid);
    if (!frames) return undefined;
    for (const frame of frames) union.add(frame);
  }
  return union.size * PAGE;
}
