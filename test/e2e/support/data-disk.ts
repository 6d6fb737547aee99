import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';

/** The guest program that installs the package and reports what happens inside the guest. */
const PROBE = fileURLToPath(new URL('../guest/probe.mjs', import.meta.url));

/** What the data disk carries into the guest. */
export interface DataDiskContent {
  /** The package under test. */
  deb: string;
  /** Entries the probe writes into /etc/vdagent/actions.d before installing, by name. */
  actions: Record<string, string>;
  /**
   * Admin actions the probe links from /usr/share/vdagent/actions.available once installed;
   * one the package does not ship is reported (`missing NAME`) and left out.
   */
  enable: string[];
  /** Accounts the probe creates (with a home) before installing. */
  users?: string[];
  /** Of those, the ones the probe logs in on a terminal (a utmp record, a logind session). */
  logins?: string[];
  /**
   * A profile the probe applies once installed, as its administrator would: `vdagent profile
   * NAME --apply`, then `systemctl daemon-reload` and `systemctl try-restart vdagent`.
   */
  profile?: string;
  /**
   * More files the test needs in the guest, by name in /run/e2e → path on the host. One named
   * `vdagent.service.conf` becomes a drop-in of the agent's unit before the package is installed.
   */
  files?: Record<string, string>;
}

/**
 * Writes `out`, an ext4 image the guest mounts read-only at /run/e2e: vdagent.deb, probe.mjs,
 * actions.d/, the lists `enable`, `users` and `logins`, the profile's name and the other `files`. Made fresh
 * for every run, so the cached root image never holds the package.
 */
export async function buildDataDisk(content: DataDiskContent, work: string, out: string): Promise<void> {
  const dir = join(work, 'data');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'actions.d'), { recursive: true });
  copyFileSync(content.deb, join(dir, 'vdagent.deb'));
  copyFileSync(PROBE, join(dir, 'probe.mjs'));
  for (const [name, text] of Object.entries(content.actions)) writeFileSync(join(dir, 'actions.d', name), text, { mode: 0o644 });
  const list = (names: readonly string[] = []): string => names.map((name) => `${name}\n`).join('');
  writeFileSync(join(dir, 'enable'), list(content.enable));
  writeFileSync(join(dir, 'users'), list(content.users));
  writeFileSync(join(dir, 'logins'), list(content.logins));
  if (content.profile !== undefined) writeFileSync(join(dir, 'profile'), `${content.profile}\n`);
  for (const [name, path] of Object.entries(content.files ?? {})) copyFileSync(path, join(dir, name));
  await run('mkfs.ext4', ['-q', '-F', '-L', 'e2e-data', '-d', dir, out, '128M']);
}
