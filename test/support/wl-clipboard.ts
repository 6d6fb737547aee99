import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { compositorUser } from './wayland.js';

/** A selection as wl-clipboard names it. */
export type WlSelection = 'clipboard' | 'primary';

const selectionArgs = (selection: WlSelection): string[] => (selection === 'primary' ? ['--primary'] : []);

/** Another Wayland application holding a selection: a `wl-copy --foreground` run as the compositor's user. */
export interface WlCopy {
  /** Freezes it (SIGSTOP): it stops answering pastes. */
  freeze(): void;
  /** Lets it run again (SIGCONT). */
  thaw(): void;
  /** Lets it run and waits until it exits by itself, as wl-copy does once another owner replaces it. */
  exited(): Promise<void>;
  /** Ends it (and what it forked) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Another application copies: `wl-copy --foreground [--primary] --type TYPE` with `data` on its
 * standard input, as the compositor's user, in its own process group.
 */
export function wlCopy(env: Record<string, string>, selection: WlSelection, type: string, data: Buffer | string): WlCopy {
  const user = compositorUser();
  const child: ChildProcess = spawn('wl-copy', [...selectionArgs(selection), '--foreground', '--type', type], { uid: user.uid, gid: user.gid, env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end(data);
  const signal = (name: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), name);
  };
  return {
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    exited() {
      signal('SIGCONT');
      return exited;
    },
    async stop() {
      signal('SIGCONT');
      signal('SIGTERM');
      await exited;
    },
  };
}

/** What a wl-clipboard run as the compositor's user printed. */
export interface WlRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs wl-paste or wl-copy (other arguments: `--clear`, `--list-types`) as the compositor's user. */
export async function wlRun(env: Record<string, string>, tool: 'wl-paste' | 'wl-copy', args: string[]): Promise<WlRun> {
  const user = compositorUser();
  const child = spawn(tool, args, { uid: user.uid, gid: user.gid, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
  return { code, stdout: Buffer.concat(out), stderr };
}

/** Another application pastes: exactly the bytes it got (`--no-newline`), or null when wl-paste failed. */
export async function wlPaste(env: Record<string, string>, selection: WlSelection, type: string): Promise<Buffer | null> {
  const r = await wlRun(env, 'wl-paste', [...selectionArgs(selection), '--no-newline', '--type', type]);
  return r.code === 0 ? r.stdout : null;
}

/** The types another application sees offered, or null when nothing owns the selection. */
export async function wlTypes(env: Record<string, string>, selection: WlSelection): Promise<string[] | null> {
  const r = await wlRun(env, 'wl-paste', [...selectionArgs(selection), '--list-types']);
  if (r.code === 0) return r.stdout.toString().split('\n').filter(Boolean);
  if (r.stderr.includes('No selection')) return null;
  throw new Error(`wl-paste --list-types failed: ${r.stderr}`);
}

/** A selection as the compositor announced it: the offered types, or null for none. */
export interface SpiedSelection {
  selection: WlSelection;
  types: string[] | null;
}

/**
 * A witness of the compositor's selection events, independent of the backend under test: a
 * data-control client (`wl-paste --watch true` under WAYLAND_DEBUG=1) whose wire log gives every
 * offer's types and every selection event, clears included.
 */
export class SelectionSpy {
  private readonly child: ChildProcess;
  private readonly seen: SpiedSelection[] = [];
  private waiting: (() => void) | undefined;
  private readonly offers = new Map<string, string[]>();

  constructor(env: Record<string, string>) {
    const user = compositorUser();
    this.child = spawn('wl-paste', ['--watch', 'true'], { uid: user.uid, gid: user.gid, env: { ...env, WAYLAND_DEBUG: '1' }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: this.child.stderr as NodeJS.ReadableStream }).on('line', (line) => this.line(line));
  }

  /** Waits for the next announcement of `selection` that `accept` takes (earlier ones of that selection are dropped). */
  async until(selection: WlSelection, accept: (types: string[] | null) => boolean): Promise<void> {
    for (;;) {
      const i = this.seen.findIndex((s) => s.selection === selection);
      if (i < 0) {
        await new Promise<void>((resolve) => (this.waiting = resolve));
        continue;
      }
      const [s] = this.seen.splice(i, 1);
      if (s && accept(s.types)) return;
    }
  }

  /** Forgets the announcements of `selection` seen so far. */
  forget(selection: WlSelection): void {
    for (let i = this.seen.length - 1; i >= 0; i--) if (this.seen[i]?.selection === selection) this.seen.splice(i, 1);
  }

  /** Ends the witness. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    process.kill(-(this.child.pid as number), 'SIGTERM');
    await exited;
  }

  private line(line: string): void {
    const created = /data_offer\(new id (\w+[@#]\d+)\)/.exec(line);
    if (created?.[1]) this.offers.set(created[1], []);
    const offered = /(\w+_offer_v1[@#]\d+)\.offer\("(.*)"\)$/.exec(line);
    if (offered?.[1] && offered[2] !== undefined) this.offers.get(offered[1])?.push(offered[2]);
    const announced = /_data_control_device_v1[@#]\d+\.(primary_)?selection\((.*)\)$/.exec(line);
    if (announced?.[2] !== undefined) {
      this.seen.push({ selection: announced[1] ? 'primary' : 'clipboard', types: announced[2] === 'nil' ? null : (this.offers.get(announced[2]) ?? []) });
      this.waiting?.();
    }
  }
}
