import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** Most links one walk follows (the kernel's own limit). */
const MAX_LINKS = 40;

/** Why a path is not trusted: the component at fault and what is wrong with it. */
export interface Distrust {
  /** The offending component: a directory, a link's own location, or the file. */
  component: string;
  /** `owner`: not owned by root; `writable`: writable by group or others; `loop`: too many links. */
  code: 'owner' | 'writable' | 'loop';
  /** One readable sentence naming the component. */
  reason: string;
}

/** A path walked to its end with every link resolved. */
export interface WalkedPath {
  /** The path with no links left in it. */
  real: string;
  /** What the walk found at its end. */
  stats: Stats;
  /** The directories holding each link followed and the end (but /dev for a mask): where a change re-points the path. */
  dirs: string[];
}

/** How a walk judges what it passes. */
export interface WalkOptions {
  /** Refuse components not owned by root (or the daemon's user) or writable by group or others. */
  check: boolean;
}

const owners = (): number[] => [0, process.getuid?.() ?? 0];
const writable = (st: Stats): boolean => (st.mode & 0o022) !== 0;
/** The sticky bit: only an entry's owner (or the directory's, or root) may rename or remove it. */
const STICKY = 0o1000;
const sticky = (st: Stats): boolean => (st.mode & STICKY) !== 0;
const mode = (st: Stats): string => (st.mode & 0o7777).toString(8);

/**
 * Resolves `path` one component at a time from `/`, following each link itself (relative targets
 * from the link's directory), and judges every step: each component and each link's own location
 * must be owned by root, and each directory passed must not be writable by group or others, except
 * a sticky one (like /tmp) when the next component is root's, which the kernel then lets no one
 * else rename or remove; the end must not be writable by group or others either. `/dev/null` is a
 * trusted end (a mask). Everything looked at was already judged on the way down, so an
 * unprivileged user cannot change the path after its part is checked. File system errors throw.
 */
export function walkPath(path: string, options: WalkOptions): WalkedPath | Distrust {
  const trusted = options.check ? owners() : undefined;
  const todo = (path.startsWith('/') ? path : `${process.cwd()}/${path}`).split('/').filter((c) => c !== '' && c !== '.');
  const dirs = new Set<string>();
  let cur = '/';
  let st = lstatSync(cur);
  let links = 0;
  if (trusted && !trusted.includes(st.uid)) return { component: cur, code: 'owner', reason: `/ is owned by uid ${st.uid}, not by root` };
  for (let c = todo.shift(); c !== undefined; c = todo.shift()) {
    if (!st.isDirectory()) throw new Error(`${cur} is not a directory`);
    if (c === '..') {
      cur = dirname(cur);
      st = lstatSync(cur);
      continue;
    }
    const next = cur === '/' ? `/${c}` : `${cur}/${c}`;
    const nst = lstatSync(next);
    if (trusted && !trusted.includes(nst.uid)) return { component: next, code: 'owner', reason: `${next} is owned by uid ${nst.uid}, not by root` };
    if (trusted && writable(st) && !sticky(st)) return { component: cur, code: 'writable', reason: `${cur} is writable by group or others (mode ${mode(st)})` };
    if (nst.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { component: next, code: 'loop', reason: `${next}: more than ${MAX_LINKS} links` };
      const target = readlinkSync(next);
      dirs.add(cur);
      todo.unshift(...target.split('/').filter((t) => t !== '' && t !== '.'));
      if (target.startsWith('/')) {
        cur = '/';
        st = lstatSync(cur);
      }
      continue;
    }
    cur = next;
    st = nst;
  }
  const mask = cur === '/dev/null' && st.isCharacterDevice();
  if (trusted && !mask && writable(st)) return { component: cur, code: 'writable', reason: `${cur} is writable by group or others (mode ${mode(st)})` };
  // A mask's /dev is not followed: it changes with every device, and /dev/null stays.
  if (!mask) dirs.add(st.isDirectory() ? cur : dirname(cur));
  return { real: cur, stats: st, dirs: [...dirs] };
}

/** True when a walk was refused. */
export function isDistrust(w: WalkedPath | Distrust): w is Distrust {
  return 'code' in w;
}

/**
 * Reads at most `max` bytes of the regular file a walk ended at, through a descriptor opened
 * without following links and checked to be the very file the walk judged.
 */
export function readWalked(walked: WalkedPath, max: number): string {
  const fd = openSync(walked.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.dev !== walked.stats.dev || st.ino !== walked.stats.ino) throw new Error(`${walked.real} changed while it was checked`);
    const buf = Buffer.alloc(Math.min(st.size, max));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
