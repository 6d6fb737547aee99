import { readFileSync } from 'node:fs';

/** A unit file's settings: section → key → every value given, in order. */
export type UnitFile = Map<string, Map<string, string[]>>;

/** Reads a systemd unit file: `[Section]` headers, `Key=Value` lines, `#` and `;` comments. */
export function readUnitFile(path: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit.get(header[1] as string) ?? new Map<string, string[]>();
      unit.set(header[1] as string, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq <= 0) throw new Error(`${path}: not a setting: ${raw}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** The last value of a setting (the one systemd uses), or undefined when absent. */
export function setting(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** A size as systemd reads it (K, M, G, T are powers of 1024), in bytes. */
export function unitBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(value);
  if (!m) throw new Error(`not a size: ${value}`);
  return Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] as string) || ' ');
}

/** A time span as systemd reads it (a bare number is seconds), in seconds. */
export function unitSeconds(value: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const part of value.split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    const unit = units[m?.[2] || 's'];
    if (!m || unit === undefined) throw new Error(`not a time span: ${value}`);
    total += Number(m[1]) * unit;
  }
  return total;
}
