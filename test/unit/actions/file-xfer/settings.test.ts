import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadActions } from '../../../../src/actions/actions-d.js';
import { FileXferModule } from '../../../../src/actions/file-xfer/module.js';
import { enabledModules } from '../../../../src/actions/resolve.js';
import { FileXferResult, MessageType, type FileXferStatusMessage, type Message } from '../../../../src/protocol/index.js';
import { makeActionsDir } from '../../../support/actions-dir.js';
import { memoryLogger } from '../../../support/log.js';
import { collectingContext } from '../../../support/module-context.js';
import { writeXdgOpen, xdgOpenRuns } from '../../../support/xdg-open-stand-in.js';

const start = (id: number, name: string, size: number): Message => ({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=${name}\nsize=${size}\n` });
const data = (id: number, text: string): Message => ({ type: MessageType.FileXferData, id, data: Buffer.from(text) });
const cancel = (id: number): Message => ({ type: MessageType.FileXferStatus, id, result: FileXferResult.Cancelled });

describe('the file-xfer entry: dir and open-when-done', () => {
  let root: string;
  let home: string;
  let bin: string;
  let record: string;
  let module: FileXferModule;
  let sent: Message[];
  let logs: () => string;
  const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, PATH: process.env.PATH, DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY };

  /** Starts the module with the entry's settings. */
  const startWith = async (settings: Record<string, string>): Promise<void> => {
    const c = collectingContext(settings);
    sent = c.sent;
    logs = c.logs;
    await module.start(c.ctx);
  };
  /** The next status the module sends for `id`. */
  const statusOf = async (id: number): Promise<FileXferStatusMessage> => {
    const of = (): number => sent.findIndex((m) => m.type === MessageType.FileXferStatus && m.id === id);
    await expect.poll(of, { timeout: 5000 }).toBeGreaterThanOrEqual(0);
    return sent.splice(of(), 1)[0] as FileXferStatusMessage;
  };
  const deliver = (m: Message): void => void module.handle(m);
  /** How many times the module decided to open a folder. */
  const openings = (): number => logs().split('\n').filter((l) => l.includes('opening')).length;
  /** Sends a whole one-message file and waits for SUCCESS. */
  const sendFile = async (id: number, name: string, text: string): Promise<void> => {
    deliver(start(id, name, text.length));
    expect((await statusOf(id)).result).toBe(FileXferResult.CanSendData);
    deliver(data(id, text));
    expect((await statusOf(id)).result).toBe(FileXferResult.Success);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'xfer-settings-'));
    home = join(root, 'home');
    bin = join(root, 'bin');
    record = join(root, 'runs');
    mkdirSync(home);
    mkdirSync(bin);
    writeXdgOpen(bin, record);
    Object.assign(process.env, { HOME: home, PATH: `${bin}:${saved.PATH ?? '/usr/bin:/bin'}`, DISPLAY: ':9' });
    delete process.env.XDG_CONFIG_HOME;
    delete process.env.WAYLAND_DISPLAY;
    module = new FileXferModule();
  });

  afterEach(async () => {
    await module.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('dir = an absolute path: files go there, the folder and its parents made when missing', async () => {
    const drop = join(root, 'shared', 'drop box');
    await startWith({ dir: drop });
    await sendFile(1, 'a.txt', 'abc');
    expect(readFileSync(join(drop, 'a.txt'), 'utf8')).toBe('abc');
    expect(statSync(drop).isDirectory()).toBe(true);
    expect(readdirSync(home)).toEqual([]);
  });

  it('dir = xdg-desktop: the desktop folder of user-dirs.dirs; by default ~/Downloads when user-dirs.dirs names no download folder', async () => {
    mkdirSync(join(home, '.config'));
    writeFileSync(join(home, '.config', 'user-dirs.dirs'), '# by xdg-user-dirs-update\nXDG_DESKTOP_DIR="$HOME/Schreibtisch"\n');
    mkdirSync(join(home, 'Downloads'));
    await startWith({ dir: 'xdg-desktop' });
    await sendFile(1, 'desk.txt', 'd');
    expect(readdirSync(join(home, 'Schreibtisch'))).toEqual(['desk.txt']);
    await module.stop();
    await startWith({});
    await sendFile(2, 'down.txt', 'd');
    expect(readdirSync(join(home, 'Downloads'))).toEqual(['down.txt']);
  });

  it('open-when-done: the folder opens once, after the last file of a batch, not while another is in progress', async () => {
    const drop = join(root, 'drop');
    await startWith({ dir: drop, 'open-when-done': 'yes' });
    deliver(start(1, 'one', 3));
    deliver(start(2, 'two', 3));
    await statusOf(1);
    await statusOf(2);
    deliver(data(1, 'one'));
    expect((await statusOf(1)).result).toBe(FileXferResult.Success);
    // The decision is taken as SUCCESS is sent: transfer 2 is still in progress.
    expect(openings()).toBe(0);
    deliver(data(2, 'two'));
    expect((await statusOf(2)).result).toBe(FileXferResult.Success);
    expect(openings()).toBe(1);
    await expect.poll(() => xdgOpenRuns(record)).toHaveLength(1);
    expect(xdgOpenRuns(record)[0]?.args).toEqual([drop]);
  });

  it('open-when-done: a transfer cancelled or failed in the batch neither opens nor holds back the opening', async () => {
    await startWith({ 'open-when-done': 'on' });
    deliver(start(1, 'kept', 1));
    deliver(start(2, 'cancelled', 5));
    deliver(start(3, 'too-long', 1));
    for (const id of [1, 2, 3]) await statusOf(id);
    deliver(cancel(2));
    deliver(data(3, 'xx'));
    expect((await statusOf(3)).result).toBe(FileXferResult.Error);
    expect(openings()).toBe(0);
    deliver(data(1, 'k'));
    expect((await statusOf(1)).result).toBe(FileXferResult.Success);
    expect(openings()).toBe(1);
    await expect.poll(() => xdgOpenRuns(record).map((r) => r.args)).toEqual([[home]]);
  });

  it('open-when-done: nothing is opened without a display (neither WAYLAND_DISPLAY nor DISPLAY), with a log line', async () => {
    delete process.env.DISPLAY;
    await startWith({ 'open-when-done': 'yes' });
    await sendFile(1, 'a', 'a');
    expect(logs()).toContain('no display');
    expect(openings()).toBe(0);
    process.env.WAYLAND_DISPLAY = 'wayland-0';
    await sendFile(2, 'b', 'b');
    await expect.poll(() => xdgOpenRuns(record)).toHaveLength(1);
  });

  it('without open-when-done (the default) nothing is opened', async () => {
    await startWith({});
    await sendFile(1, 'a', 'a');
    await module.stop();
    await startWith({ 'open-when-done': 'no' });
    await sendFile(2, 'b', 'b');
    expect(openings()).toBe(0);
    expect(xdgOpenRuns(record)).toEqual([]);
  });
});

describe('the file-xfer entry as the daemon reads it', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'xfer-entry-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** The modules the daemon enables for a file-xfer entry with this content, and its log. */
  const load = (content: string): { names: string[]; lines: string[] } => {
    const dir = makeActionsDir(mkdtempSync(join(root, 'entry-')), { 'file-xfer': content });
    const { log, lines } = memoryLogger();
    const names = enabledModules(loadActions([dir], { checkOwners: false }), log).map((m) => m.definition.name);
    return { names, lines: lines() };
  };

  it('takes dir and open-when-done as settings of the module', () => {
    for (const content of ['dir = xdg-desktop\nopen-when-done = yes\n', 'dir = /srv/drop\n', 'dir = xdg-download\nopen-when-done = off\n']) {
      const { names, lines } = load(content);
      expect(names).toEqual(['file-xfer']);
      expect(lines).toEqual([]);
    }
  });

  it('keeps file-xfer off, with an error line, for a relative dir or an open-when-done that is not on or off', () => {
    for (const content of ['dir = Downloads\n', 'dir = ~/Downloads\n', 'open-when-done = maybe\n']) {
      const { names, lines } = load(content);
      expect(names).toEqual([]);
      expect(lines.filter((l) => l.startsWith('error:') && l.includes('file-xfer stays off'))).toHaveLength(1);
    }
  });
});
