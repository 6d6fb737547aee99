import { readFileSync } from 'node:fs';
import { JsonFloat, jsonInt, jsonObject, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { dirEntries, fieldsOf, leadingCounters, readSystemFile, systemFailure } from './proc-text.js';

/** Where Linux lists its logical processors. */
export const SYS_CPU = '/sys/devices/system/cpu';

/** Linux's USER_HZ: /proc/stat counts in hundredths of a second (sysconf(_SC_CLK_TCK) on every Linux ABI). */
const CLK_TCK = 100n;

/**
 * guest-get-vcpus: every `cpuN` entry in directory order; `online` from its `online` file (a
 * processor without one, like cpu0 on x86, is online and cannot be taken offline).
 */
export function vcpus(sysCpu = SYS_CPU): JsonObject[] {
  let entries;
  try {
    entries = dirEntries(sysCpu);
  } catch (err) {
    throw systemFailure(`failed to list entries: ${sysCpu}`, err);
  }
  const out: JsonObject[] = [];
  for (const e of entries) {
    const m = /^cpu(\d+)/.exec(e.name);
    if (!m) continue;
    const id = BigInt(m[1] as string);
    const path = `${sysCpu}/cpu${id}/`;
    let status: string;
    try {
      status = readFileSync(`${path}online`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw systemFailure(`open("${path}/online")`, err);
      out.push(jsonObject({ 'logical-id': jsonInt(id), online: true, 'can-offline': false }));
      continue;
    }
    if (status === '') throw new QgaError(QgaErrorCode.CommandFailed, `pread("${path}/online"): unexpected EOF`);
    out.push(jsonObject({ 'logical-id': jsonInt(id), online: status[0] !== '0', 'can-offline': true }));
  }
  return out;
}

/**
 * guest-get-cpustats from /proc/stat text: one `linux` entry per `cpuN` line (the total `cpu` line
 * left out), times in milliseconds; a line with fewer than four counters ends the list. Members
 * appear as qemu-ga fills them: the first four always, then iowait, irq with softirq, steal,
 * guest and guestnice as the kernel provides them.
 */
export function parseCpuStats(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const line of text.split('\n')) {
    const fields = fieldsOf(line);
    const name = fields[0];
    if (name === undefined || !name.startsWith('cpu') || name === 'cpu') continue;
    const counters = leadingCounters(fields, 1).slice(0, 10);
    if (counters.length < 4) break;
    const ms = (i: number): number | bigint | undefined => {
      const c = counters[i];
      return c === undefined ? undefined : jsonInt((c * 1000n) / CLK_TCK);
    };
    const n = counters.length;
    // Which members qemu-ga sets for how many counters sscanf converted (with six, its softirq is unset memory: 0 here).
    out.push(jsonObject({
      type: 'linux',
      cpu: leadingInt(name.slice(3)),
      user: ms(0), nice: ms(1), system: ms(2), idle: ms(3),
      iowait: ms(4),
      irq: n >= 6 ? ms(5) : undefined,
      softirq: n >= 6 ? (ms(6) ?? 0) : undefined,
      steal: n >= 8 ? ms(7) : undefined,
      guest: n >= 9 ? ms(8) : undefined,
      guestnice: n >= 10 ? ms(9) : undefined,
    }));
  }
  return out;
}

/** atoi: the leading decimal digits (with an optional sign), 0 without any. */
function leadingInt(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number.parseInt(m[0], 10) : 0;
}

/** guest-get-cpustats on this guest. */
export function cpuStats(procStat = '/proc/stat'): JsonObject[] {
  return parseCpuStats(readSystemFile(procStat));
}

/** guest-get-load from /proc/loadavg text: the 1, 5 and 15 minute load averages. */
export function parseLoadAverage(text: string): JsonObject | undefined {
  const [l1, l5, l15] = fieldsOf(text).slice(0, 3).map(Number);
  if (l15 === undefined || [l1, l5, l15].some((v) => !Number.isFinite(v))) return undefined;
  return jsonObject({ load1m: new JsonFloat(l1 as number), load5m: new JsonFloat(l5 as number), load15m: new JsonFloat(l15) });
}

/** guest-get-load on this guest, as getloadavg(3) reads it. */
export function loadAverage(procLoadavg = '/proc/loadavg'): JsonObject {
  let text: string;
  try {
    text = readFileSync(procLoadavg, 'latin1');
  } catch (err) {
    throw systemFailure('cannot query load average', err);
  }
  const load = parseLoadAverage(text);
  // getloadavg(3) fails with EINVAL (errno 22) on text it cannot read.
  if (load === undefined) throw systemFailure('cannot query load average', { errno: -22 });
  return load;
}
