import { jsonInt, jsonObject, type JsonObject } from '../../qga/index.js';
import { fieldsOf, readSystemFile } from './proc-text.js';

/** A whole hexadecimal field as `%x` reads it into 32 bits, or undefined. */
function hex32(f: string | undefined): number | undefined {
  return f !== undefined && /^(?:0[xX])?[0-9a-fA-F]+$/.test(f) ? Number(BigInt.asUintN(32, BigInt(`0x${f.replace(/^0[xX]/, '')}`))) : undefined;
}

/** A whole decimal field as `%d` reads it into a signed 32-bit int, or undefined. */
function int32(f: string | undefined): number | undefined {
  return f !== undefined && /^[+-]?\d+$/.test(f) ? Number(BigInt.asIntN(32, BigInt(f))) : undefined;
}

/** An IPv4 address held as /proc/net/route writes it: a host-order (little-endian) hex word. */
const ipv4 = (word: number): string => [0, 8, 16, 24].map((shift) => (word >>> shift) & 0xff).join('.');

/** 32 hex digits as inet_ntop(3) writes the IPv6 address: the longest zero run compressed, IPv4-mapped tails dotted. */
export function ipv6(hex: string): string | undefined {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const words = Array.from({ length: 8 }, (_, i) => Number.parseInt(hex.slice(i * 4, i * 4 + 4), 16));
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.len < 2) best = { start: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best.start) {
      out += i === 0 ? '::' : ':';
      i += best.len - 1;
      continue;
    }
    if (i === 6 && best.start === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      const w6 = words[6] as number;
      const w7 = words[7] as number;
      return `${out}${w6 >> 8}.${w6 & 0xff}.${w7 >> 8}.${w7 & 0xff}`;
    }
    out += (words[i] as number).toString(16) + (i < 7 ? ':' : '');
  }
  return out;
}

/** IPv4 routes from /proc/net/route text (its heading line skipped; a line that is not 11 fields of the right kinds left out). */
export function parseIpv4Routes(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = fieldsOf(line);
    const [dest, gw, flags, mask] = [hex32(f[1]), hex32(f[2]), hex32(f[3]), hex32(f[7])];
    const [refcnt, use, metric, mtu, window, irtt] = [4, 5, 6, 8, 9, 10].map((i) => int32(f[i]));
    if (f.length < 11 || dest === undefined || gw === undefined || flags === undefined || mask === undefined) continue;
    if ([refcnt, use, metric, mtu, window, irtt].some((v) => v === undefined)) continue;
    out.push(jsonObject({
      iface: f[0], destination: ipv4(dest), gateway: ipv4(gw), mask: ipv4(mask),
      metric, flags, refcnt, use, mtu, window, irtt, version: 4,
    }));
  }
  return out;
}

/** IPv6 routes from /proc/net/ipv6_route text (no heading line; a malformed line left out). */
export function parseIpv6Routes(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const line of text.split('\n')) {
    const f = fieldsOf(line);
    const [destLen, srcLen, metric, refcnt, use, flags] = [1, 3, 5, 6, 7, 8].map((i) => hex32(f[i]));
    const [dest, src, nexthop] = [ipv6(f[0] ?? ''), ipv6(f[2] ?? ''), ipv6(f[4] ?? '')];
    if (f.length < 10 || [destLen, srcLen, metric, refcnt, use, flags].some((v) => v === undefined)) continue;
    if (dest === undefined || src === undefined || nexthop === undefined) continue;
    const signed = (v: number | undefined): number => (v as number) | 0;
    out.push(jsonObject({
      iface: f[9], destination: dest, source: src, nexthop,
      desprefixlen: String(signed(destLen)), srcprefixlen: String(signed(srcLen)),
      metric: signed(metric),
      // qemu-ga reads the flags into an int and reports them as uint64: a set top bit sign-extends.
      flags: jsonInt(BigInt.asUintN(64, BigInt(signed(flags)))),
      refcnt: signed(refcnt), use: signed(use), version: 6,
    }));
  }
  return out;
}

/** guest-network-get-route: the IPv4 routes, then the IPv6 ones; either table missing is qemu-ga's error. */
export function networkRoutes(procNet = '/proc/net'): JsonObject[] {
  const read = (name: string): string => readSystemFile(`${procNet}/${name}`);
  const v4 = read('route');
  const v6 = read('ipv6_route');
  return [...parseIpv4Routes(v4), ...parseIpv6Routes(v6)];
}
