import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { jsonInt, jsonObject, type JsonObject, type JsonValue } from '../../qga/index.js';

/** Counters of /proc/net/dev by interface name. */
export function parseNetDev(text: string): Map<string, JsonObject> {
  const stats = new Map<string, JsonObject>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map((v) => jsonInt(BigInt(v)));
    stats.set(line.slice(0, colon).trim(), jsonObject({
      'rx-bytes': f[0], 'rx-packets': f[1], 'rx-errs': f[2], 'rx-dropped': f[3],
      'tx-bytes': f[8], 'tx-packets': f[9], 'tx-errs': f[10], 'tx-dropped': f[11],
    }));
  }
  return stats;
}

/** A hardware address as six lower-case hex bytes, shorter ones padded with zeros (as SIOCGIFHWADDR gives). */
export function hardwareAddress(text: string): string {
  const bytes = text.trim() === '' ? [] : text.trim().split(':');
  return Array.from({ length: 6 }, (_, i) => (bytes[i] ?? '00').toLowerCase().padStart(2, '0')).join(':');
}

/** Interface names in index order, with their sysfs hardware address. */
function links(sysNet: string): { name: string; address: string | undefined }[] {
  const read = (name: string, file: string): string | undefined => {
    try {
      return readFileSync(`${sysNet}/${name}/${file}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  let names: string[];
  try {
    names = readdirSync(sysNet);
  } catch {
    names = Object.keys(os.networkInterfaces());
  }
  return names
    .map((name) => ({ name, index: Number(read(name, 'ifindex') ?? Infinity), address: read(name, 'address') }))
    .sort((a, b) => a.index - b.index);
}

/** guest-network-get-interfaces: every interface, its addresses, and counters for those with an address. */
export function networkInterfaces(sysNet = '/sys/class/net', procNetDev = '/proc/net/dev'): JsonValue {
  const addresses = os.networkInterfaces();
  let stats = new Map<string, JsonObject>();
  try {
    stats = parseNetDev(readFileSync(procNetDev, 'utf8'));
  } catch {
    // no counters
  }
  return links(sysNet).map(({ name, address }) => {
    const ips = (addresses[name] ?? []).map((a) =>
      jsonObject({
        'ip-address': a.address,
        'ip-address-type': a.family === 'IPv4' ? 'ipv4' : 'ipv6',
        prefix: Number(a.cidr?.split('/')[1] ?? 0),
      }),
    );
    return jsonObject({
      name,
      'hardware-address': address === undefined ? undefined : hardwareAddress(address),
      'ip-addresses': ips.length > 0 ? ips : undefined,
      statistics: ips.length > 0 ? stats.get(name) : undefined,
    });
  });
}
