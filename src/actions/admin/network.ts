import { readFileSync } from 'node:fs';
import { AF_INET, errorText, type InterfaceAddress, interfaceAddresses } from '../../platform/libc.js';
import { jsonInt, jsonObject, type JsonObject, type JsonValue, QgaError, QgaErrorCode } from '../../qga/index.js';

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

/** Counters of /proc/net/dev, or none when it cannot be read. */
function netDevStats(procNetDev: string): Map<string, JsonObject> {
  try {
    return parseNetDev(readFileSync(procNetDev, 'utf8'));
  } catch {
    return new Map();
  }
}

/**
 * guest-network-get-interfaces, as qemu-ga builds it from getifaddrs(3): one interface per name in
 * the order names first appear (every link, up or down, then labelled IPv4 aliases such as
 * `eth0:1`), each with the hardware address of its link (from sysfs), its IPv4 and IPv6 addresses,
 * and /proc/net/dev's counters when it has an address and a line there (an alias has none).
 */
export function networkInterfaces(sysNet = '/sys/class/net', procNetDev = '/proc/net/dev'): JsonValue {
  let listed: InterfaceAddress[];
  try {
    listed = interfaceAddresses();
  } catch (err) {
    throw new QgaError(QgaErrorCode.CommandFailed, `getifaddrs failed: ${errorText(err)}`);
  }
  const stats = netDevStats(procNetDev);
  const byName = new Map<string, JsonObject[]>();
  for (const { name, family, address, prefix } of listed) {
    const ips = byName.get(name) ?? [];
    byName.set(name, ips);
    if (address !== undefined) ips.push(jsonObject({ 'ip-address': address, 'ip-address-type': family === AF_INET ? 'ipv4' : 'ipv6', prefix }));
  }
  return [...byName].map(([name, ips]) => {
    const link = name.split(':')[0] ?? name;
    let address: string | undefined;
    try {
      address = hardwareAddress(readFileSync(`${sysNet}/${link}/address`, 'utf8'));
    } catch {
      // no hardware address
    }
    return jsonObject({
      name,
      'hardware-address': address,
      'ip-addresses': ips.length > 0 ? ips : undefined,
      statistics: ips.length > 0 ? stats.get(name) : undefined,
    });
  });
}
