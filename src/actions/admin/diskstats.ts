import { jsonInt, jsonObject, type JsonObject } from '../../qga/index.js';
import { fieldsOf, leadingCounters, readSystemFile } from './proc-text.js';

/** A counter qemu-ga reads with `%u`: kept to its low 32 bits. */
const u32 = (v: bigint | undefined): bigint | undefined => (v === undefined ? undefined : BigInt.asUintN(32, v));

/** The stats member of one /proc/diskstats line, for `n` counters after major, minor and name. */
function diskStats(c: readonly bigint[]): JsonObject {
  const n = c.length;
  const int = (v: bigint | undefined): number | bigint | undefined => (v === undefined ? undefined : jsonInt(v));
  // The old four-counter partition format: reads, sectors read, writes, sectors written.
  if (n === 4) return jsonObject({ 'read-ios': int(c[0]), 'read-sectors': int(c[1]), 'write-ios': int(c[2]), 'write-sectors': int(c[3]) });
  if (n < 11) return new Map();
  return jsonObject({
    'read-ios': int(c[0]), 'read-merges': int(c[1]), 'read-sectors': int(c[2]), 'read-ticks': int(c[3]),
    'write-ios': int(c[4]), 'write-merges': int(c[5]), 'write-sectors': int(c[6]), 'write-ticks': int(u32(c[7])),
    'ios-pgr': int(u32(c[8])), 'total-ticks': int(u32(c[9])), 'weight-ticks': int(u32(c[10])),
    ...(n >= 15 ? { 'discard-ios': int(c[11]), 'discard-merges': int(c[12]), 'discard-sectors': int(c[13]), 'discard-ticks': int(u32(c[14])) } : {}),
    ...(n >= 17 ? { 'flush-ios': int(c[15]), 'flush-ticks': int(u32(c[16])) } : {}),
  });
}

/**
 * guest-get-diskstats from /proc/diskstats text: every line with at least four counters, its
 * name, major, minor and the counters the kernel gives (4, 11, 15 or 17 of them); a line with 5
 * to 10 counters is listed with empty stats, as qemu-ga lists it.
 */
export function parseDiskStats(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const line of text.split('\n')) {
    const fields = fieldsOf(line);
    const [major, minor, name] = fields;
    if (name === undefined || !/^\d+$/.test(major as string) || !/^\d+$/.test(minor as string)) continue;
    const counters = leadingCounters(fields, 3).slice(0, 17);
    if (counters.length < 4) continue;
    out.push(jsonObject({ name, major: jsonInt(u32(BigInt(major as string)) as bigint), minor: jsonInt(u32(BigInt(minor as string)) as bigint), stats: diskStats(counters) }));
  }
  return out;
}

/** guest-get-diskstats on this guest. */
export function diskStatsOf(procDiskstats = '/proc/diskstats'): JsonObject[] {
  return parseDiskStats(readSystemFile(procDiskstats));
}
