import { describe, expect, it } from 'vitest';
import { ipv6, parseIpv4Routes, parseIpv6Routes } from '../../../../src/actions/admin/routes.js';

describe('guest-network-get-route from /proc/net/route and /proc/net/ipv6_route', () => {
  it('reads IPv4 routes after the heading, addresses from host-order hex words', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t1\t2\t0\t00FFFFFF\t1500\t3\t4',
      'short line',
    ].join('\n');
    expect(parseIpv4Routes(text).map((r) => Object.fromEntries(r))).toEqual([
      { iface: 'eth0', destination: '0.0.0.0', gateway: '192.0.2.1', mask: '0.0.0.0', metric: 100, flags: 3, refcnt: 0, use: 0, mtu: 0, window: 0, irtt: 0, version: 4 },
      { iface: 'eth0', destination: '192.0.2.0', gateway: '0.0.0.0', mask: '255.255.255.0', metric: 0, flags: 1, refcnt: 1, use: 2, mtu: 1500, window: 3, irtt: 4, version: 4 },
    ]);
  });

  it('reads IPv6 routes (no heading), their hex fields as qemu-ga reads them into ints', () => {
    const text = [
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0',
      '00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
      'not a route',
    ].join('\n');
    expect(parseIpv6Routes(text).map((r) => Object.fromEntries(r))).toEqual([
      { iface: 'eth0', destination: '::', source: '::', nexthop: 'fd00::1', desprefixlen: '0', srcprefixlen: '0', metric: 1024, flags: 3, refcnt: 2, use: 0, version: 6 },
      { iface: 'lo', destination: '::1', source: '::', nexthop: '::', desprefixlen: '128', srcprefixlen: '0', metric: 0, flags: 18446744071564165121n, refcnt: 2, use: 0, version: 6 },
      { iface: 'lo', destination: '::', source: '::', nexthop: '::', desprefixlen: '0', srcprefixlen: '0', metric: -1, flags: 0x200200, refcnt: 1, use: 0, version: 6 },
    ]);
  });

  it.each([
    ['fe8000000000000000fc00fffe000001', 'fe80::fc:ff:fe00:1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100000000000000000000', '2001:db8:1::'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['000000000000000000000000c0000201', '::192.0.2.1'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
  ])('writes %s as inet_ntop does: %s', (hex, text) => {
    expect(ipv6(hex)).toBe(text);
  });
});
