import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './harness.js';
import { compositorUser } from './wayland.js';

/** Something the backend under test did: reported an owner, or asked the peer for data. */
export type DriverEvent = { event: 'owner'; selection: string; targets: string[] | null } | { event: 'provide'; selection: string; target: string };

/** How a command failed in the driver: the error's code (a ClipboardReadError's) and message. */
export class DriverError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** What the driver runs, relative to the tree: it imports the backend from ../../dist. */
const DRIVER_FILES = ['package.json', 'dist', 'test/fixtures/wayland-clipboard-driver.mjs'];

/**
 * A copy of the driver and the built code it imports in a fresh directory anyone may read: the
 * tree may sit in a directory only root can enter (a clone in a 0700 directory), and the driver
 * runs as the compositor's user. Returns the directory.
 */
function readableDriverCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wayland-driver-'));
  chmodSync(dir, 0o755);
  for (const path of DRIVER_FILES) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  return dir;
}

/**
 * The real WaylandClipboardBackend, built in dist/, running in a node process of its own as the
 * compositor's user (test/fixtures/wayland-clipboard-driver.mjs), as the session helper would.
 */
export class WaylandClipboardDriver {
  private readonly child: ChildProcess;
  private readonly answers = new Map<number, (answer: Record<string, unknown>) => void>();
  private readonly events: DriverEvent[] = [];
  private waiting: (() => void) | undefined;
  private nextId = 1;
  private stderr = '';
  private died: string | undefined;

  /** Starts the driver process in `env` (the compositor's), with the backend's timeout. */
  constructor(env: Record<string, string>, timeoutMs: number) {
    const user = compositorUser();
    const dir = readableDriverCopy();
    this.child = spawn(process.execPath, [join(dir, 'test/fixtures/wayland-clipboard-driver.mjs'), String(timeoutMs)], { uid: user.uid, gid: user.gid, cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // A driver that dies fails what waits for it, with what it printed; its copy goes either way.
    this.child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      this.died = `the clipboard driver exited (${signal ?? `status ${code}`}): ${this.stderr}`;
      for (const answer of this.answers.values()) answer({ error: this.died });
      this.waiting?.();
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (typeof message.id === 'number') this.answers.get(message.id)?.(message);
      else {
        this.events.push(message as DriverEvent);
        this.waiting?.();
      }
    });
  }

  /** Sends a command and waits for its answer; a failure rejects with a {@link DriverError}. */
  async call(op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.died) throw new DriverError(undefined, this.died);
    const id = this.nextId++;
    const answer = new Promise<Record<string, unknown>>((resolve) => this.answers.set(id, resolve));
    this.child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`);
    const a = await answer;
    this.answers.delete(id);
    if (typeof a.error === 'string') throw new DriverError(typeof a.code === 'string' ? a.code : undefined, a.error);
    return a;
  }

  /** Reads a selection through the backend: the bytes, or a DriverError with the ClipboardReadError's code. */
  async read(selection: string, target: string, limit: number): Promise<Buffer> {
    return Buffer.from((await this.call('read', { selection, target, limit })).data as string, 'base64');
  }

  /** Claims a selection for the peer; the peer's answer to the backend's request is `data` (null: none). */
  async claim(selection: string, targets: string[], data: Buffer | null): Promise<void> {
    await this.call('claim', { selection, targets, data: data?.toString('base64') ?? null });
  }

  /** The backend's next event, in the order it happened. */
  async next(): Promise<DriverEvent> {
    while (this.events.length === 0) {
      if (this.died) throw new Error(this.died);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    return this.events.shift() as DriverEvent;
  }

  /** Consumes events until each of `wanted` has come, in any order; the others are passed over. */
  async passed(wanted: DriverEvent[]): Promise<void> {
    const left = wanted.map((w) => JSON.stringify(w));
    while (left.length > 0) {
      const i = left.indexOf(JSON.stringify(await this.next()));
      if (i >= 0) left.splice(i, 1);
    }
  }

  /** Closes the backend (again: a second close does nothing) and waits for the driver to exit. */
  async stop(): Promise<void> {
    if (this.died) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call('close');
    this.child.stdin?.end();
    await exited;
  }
}
