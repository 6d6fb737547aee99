import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../support/harness.js';
import { cached, keyOf } from './cache.js';
import { run } from './exec.js';

/** The release before this one: its tag, the commit it names, and that commit's time. */
export interface PreviousRelease {
  tag: string;
  commit: string;
  /** The commit's time (seconds since the epoch), the package's dates. */
  epoch: string;
}

/**
 * The newest `vX.Y.Z` tag reachable from HEAD that is not this version (package.json's): the
 * release an upgrade of this package comes from. The clone needs its tags (a shallow CI clone
 * without them fails here, naming the fix).
 */
export async function previousRelease(): Promise<PreviousRelease> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const tags = (await run('git', ['-C', ROOT, 'tag', '--list', 'v*', '--merged', 'HEAD', '--sort=-v:refname'])).split('\n').filter(Boolean);
  const tag = tags.find((t) => t !== `v${version}`);
  if (!tag) throw new Error(`no release tag before v${version} reachable from HEAD: fetch the tags (git fetch --tags, or a clone with fetch-depth 0)`);
  const [commit = '', epoch = ''] = (await run('git', ['-C', ROOT, 'log', '-1', '--format=%H %ct', `${tag}^{commit}`])).trim().split(' ');
  return { tag, commit, epoch };
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
