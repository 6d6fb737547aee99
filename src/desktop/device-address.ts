/** A PCI device as a path of slot.function steps from a root bus, in one PCI domain. */
export interface PciPath {
  domain: number;
  /** Slot and function of each device from the root, bridges first. */
  steps: { slot: number; fn: number }[];
}

/**
 * Parses a GRAPHICS_DEVICE_INFO address (spec §13.2): `pci/<domain hex>/<slot hex>.<fn>[/<slot>.<fn>…]`,
 * e.g. `pci/0000/02.0` or `pci/0000/02.1/03.0`; undefined for anything else.
 */
export function parseDeviceAddress(address: string): PciPath | undefined {
  const parts = address.split('/');
  if (parts[0] !== 'pci' || parts.length < 3 || !/^[0-9a-f]{1,4}$/i.test(parts[1] ?? '')) return undefined;
  const steps: { slot: number; fn: number }[] = [];
  for (const p of parts.slice(2)) {
    const m = /^([0-9a-f]{1,2})\.([0-7])$/i.exec(p);
    if (!m) return undefined;
    steps.push({ slot: parseInt(m[1] as string, 16), fn: Number(m[2]) });
  }
  return { domain: parseInt(parts[1] as string, 16), steps };
}

/**
 * The PCI path of a sysfs device path, from its `DDDD:BB:SS.F` components:
 * `/sys/devices/pci0000:00/0000:00:02.1/0000:03:00.0` → domain 0, steps 02.1, 00.0.
 */
export function pciPathOfSysfs(path: string): PciPath | undefined {
  const steps: { slot: number; fn: number }[] = [];
  let domain: number | undefined;
  for (const part of path.split('/')) {
    const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(part);
    if (!m) continue;
    domain ??= parseInt(m[1] as string, 16);
    steps.push({ slot: parseInt(m[3] as string, 16), fn: Number(m[4]) });
  }
  return domain === undefined ? undefined : { domain, steps };
}

/** Whether two PCI paths name the same device. */
export function samePciPath(a: PciPath, b: PciPath): boolean {
  return a.domain === b.domain && a.steps.length === b.steps.length && a.steps.every((s, i) => s.slot === b.steps[i]?.slot && s.fn === b.steps[i]?.fn);
}
