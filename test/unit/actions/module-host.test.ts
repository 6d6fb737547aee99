import { describe, expect, it } from 'vitest';
import type { ActionModule } from '../../../src/actions/module.js';
import { ModuleHost, type WantedModule } from '../../../src/actions/module-host.js';
import { collectingContext } from '../../support/module-context.js';
import { memoryLogger } from '../../support/log.js';

/** A module that records its starts and stops in `events`; it fails where told. */
function recordingModule(name: string, events: string[], fail: { start?: boolean; stop?: boolean } = {}): ActionModule {
  return {
    name,
    capabilities: [],
    handles: [],
    host: 'daemon',
    start: async () => {
      events.push(`start ${name}`);
      if (fail.start) throw Object.assign(new Error('no device'), { code: 'ENODEV' });
    },
    stop: async () => {
      events.push(`stop ${name}`);
      if (fail.stop) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
    },
    handle: () => undefined,
    resetClient: () => undefined,
  };
}

/** A wanted module made by `recordingModule`, with its settings. */
function wanted(name: string, events: string[], settings: Record<string, string> = {}, fail: { start?: boolean; stop?: boolean } = {}): WantedModule {
  return { name, create: () => recordingModule(name, events, fail), context: collectingContext(settings).ctx };
}

describe('the module host', () => {
  it('starts the wanted modules in order and stops those no longer wanted', async () => {
    const events: string[] = [];
    const stopped: string[] = [];
    const host = new ModuleHost({ log: memoryLogger().log, stopped: (name) => stopped.push(name) });
    await host.apply([wanted('a', events), wanted('b', events)]);
    expect(host.names).toEqual(['a', 'b']);
    await host.apply([wanted('b', events)]);
    expect(events).toEqual(['start a', 'start b', 'stop a']);
    expect(stopped).toEqual(['a']);
    expect(host.get('a')).toBeUndefined();
    expect(host.modules.map((m) => m.name)).toEqual(['b']);
  });

  it('restarts a module whose settings changed, not one whose settings are the same in another order', async () => {
    const events: string[] = [];
    const host = new ModuleHost({ log: memoryLogger().log });
    await host.apply([wanted('a', events, { x: '1', y: '2' })]);
    await host.apply([wanted('a', events, { y: '2', x: '1' })]);
    expect(events).toEqual(['start a']);
    await host.apply([wanted('a', events, { x: '3', y: '2' })]);
    expect(events).toEqual(['start a', 'stop a', 'start a']);
  });

  it('keeps a module that fails to start off, and the others running', async () => {
    const events: string[] = [];
    const { log, lines } = memoryLogger();
    const host = new ModuleHost({ log, label: 'session: ' });
    await host.apply([wanted('a', events, {}, { start: true }), wanted('b', events)]);
    expect(host.names).toEqual(['b']);
    expect(lines().some((l) => l.includes('session: module a'))).toBe(true);
  });

  it('logs a module that keeps failing to start once, and again when the reason changes or it was not wanted in between', async () => {
    const events: string[] = [];
    const { log, lines } = memoryLogger();
    const host = new ModuleHost({ log });
    const failing = (reason: string): WantedModule => ({
      name: 'a',
      create: () => ({ ...recordingModule('a', events), start: () => Promise.reject(new Error(reason)) }),
      context: collectingContext().ctx,
    });
    const failures = (): number => lines().filter((l) => l.startsWith('error: module a failed to start')).length;
    await host.apply([failing('no display')]);
    await host.apply([failing('no display'), wanted('b', events)]);
    expect(failures()).toBe(1);
    await host.apply([failing('no runtime dir')]);
    expect(failures()).toBe(2);
    await host.apply([]);
    await host.apply([failing('no runtime dir')]);
    expect(failures()).toBe(3);
  });

  it('forgets a module that fails to stop and still stops the others', async () => {
    const events: string[] = [];
    const stopped: string[] = [];
    const host = new ModuleHost({ log: memoryLogger().log, stopped: (name) => stopped.push(name) });
    await host.apply([wanted('a', events, {}, { stop: true }), wanted('b', events)]);
    await host.apply([]);
    expect(events).toEqual(['start a', 'start b', 'stop a', 'stop b']);
    expect(stopped).toEqual(['a', 'b']);
    expect(host.names).toEqual([]);
  });

  it('skips a module its process cannot make', async () => {
    const host = new ModuleHost({ log: memoryLogger().log });
    await host.apply([{ name: 'elsewhere', create: () => undefined, context: collectingContext().ctx }]);
    expect(host.names).toEqual([]);
  });

  it('stops every module when the process ends, a failing stop included', async () => {
    const events: string[] = [];
    const host = new ModuleHost({ log: memoryLogger().log });
    await host.apply([wanted('a', events, {}, { stop: true }), wanted('b', events)]);
    await host.stopAll();
    expect(events).toEqual(['start a', 'start b', 'stop a', 'stop b']);
    expect(host.names).toEqual([]);
  });
});
