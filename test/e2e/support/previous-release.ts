import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../support/harness.js';
import { cached, keyOf } from './cache.js';
import { run } from './exec.js';

/** The release before this one: its tag name, the commit it was built from, and that commit's time. */
export interface PreviousRelease {
  tag: string;
  commit: string;
  /** The commit's time (seconds since the epoch), the package's dates. */
  epoch: string;
}

/**
 * The newest release in `packaging/releases` older than this version (package.json's): the release
 * an upgrade of this package comes from. Its commit must be in the clone; a shallow clone is
 * deepened from its origin once, and fails naming the fix when that is not possible.
 */
export async function previousRelease(): Promise<PreviousRelease> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const releases = readFileSync(join(ROOT, 'packaging', 'releases'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/) as [string, string]);
  const older = releases.filter(([v]) => compareVersions(v, version) < 0).sort(([a], [b]) => compareVersions(b, a));
  const [previous, commit] = older[0] ?? [];
  if (!previous || !commit) throw new Error(`packaging/releases names no release before ${version}`);
  if (!(await hasCommit(commit))) await run('git', ['-C', ROOT, 'fetch', '--quiet', '--unshallow']).catch(() => undefined);
  if (!(await hasCommit(commit))) throw new Error(`commit ${commit} of release ${previous} is not in this clone: clone with its history (fetch-depth 0)`);
  const epoch = (await run('git', ['-C', ROOT, 'log', '-1', '--format=%ct', commit])).trim();
  return { tag: `v${previous}`, commit, epoch };
}

/** Whether the clone has this commit. */
async function hasCommit(commit: string): Promise<boolean> {
  return run('git', ['-C', ROOT, 'cat-file', '-e', `${commit}^{commit}`]).then(
    () => true,
    () => false,
  );
}

/** Compares two dotted numeric versions: negative, zero or positive. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The previous release's Debian package, built once per tag commit and architecture and kept under
 * `cacheRoot`: its sources from `git archive` into a temporary folder, `npm ci`, `npm run package`
 * (dated by the commit, as its own build would be).
 */
export async function previousReleasePackage(cacheRoot: string, release: PreviousRelease): Promise<string> {
  const arch = (await run('dpkg', ['--print-architecture'])).trim();
  const dir = await cached(cacheRoot, 'previous-release', keyOf(release.commit, arch), async (out) => {
    const src = mkdtempSync(join(tmpdir(), 'vdagent-previous-'));
    try {
      await run('sh', ['-c', `git -C '${ROOT}' archive '${release.commit}' | tar -x -C '${src}'`]);
      await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: src });
      await run('npm', ['run', 'package', '--silent'], { cwd: src, env: { ...process.env, SOURCE_DATE_EPOCH: release.epoch } });
      const deb = readdirSync(join(src, 'build')).find((n) => n.endsWith('.deb'));
      if (!deb) throw new Error(`npm run package of ${release.tag} left no .deb`);
      copyFileSync(join(src, 'build', deb), join(out, 'vdagent.deb'));
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });
  return join(dir, 'vdagent.deb');
}
