import { describe, expect, it } from 'vitest';
import { RequestIntake } from '../../../src/daemon/qga-intake.js';
import { encodeJson, type ParseEvent } from '../../../src/qga/index.js';
import { memoryLogger } from '../../support/log.js';

const limits = { maxItems: 4, maxBytes: 1024 * 1024, maxHeld: 256 * 1024 };
const pings = (from: number, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => `{"execute":"guest-sync","arguments":{"id":${from + i}}}`).join(''));
const ids = (events: (ParseEvent | undefined)[]): unknown[] =>
  events.map((e) => (e?.kind === 'value' ? encodeJson(e.value).replace(/.*"id": (\d+).*/, '$1') : e));

/** A port that records reading control. */
function pausablePort(): { port: { name: string; pause(): void; resume(): void }; calls: string[] } {
  const calls: string[] = [];
  return { port: { name: 'test port', pause: () => calls.push('pause'), resume: () => calls.push('resume') }, calls };
}

describe('the request intake', () => {
  it('queues at most its items, pauses the port while input waits, and resumes once it is parsed, in order', () => {
    const { port, calls } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, limits);
    intake.push(pings(0, 3000));
    intake.push(pings(3000, 10));
    // One 4 KiB slice at most beyond the bound: the queue is full, the rest waits unparsed.
    expect(intake.length).toBeGreaterThanOrEqual(4);
    expect(intake.length).toBeLessThan(4 + 4096 / 40);
    expect(calls).toEqual(['pause']);
    const taken: (ParseEvent | undefined)[] = [];
    for (let e = intake.next(); e; e = intake.next()) taken.push(e);
    expect(ids(taken)).toEqual(Array.from({ length: 3010 }, (_, i) => String(i)));
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('bounds the queue by the estimated memory of its requests', () => {
    const { port } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, { ...limits, maxItems: 1000, maxBytes: 500_000 });
    intake.push(Buffer.from(`[${'{},'.repeat(2000)}{}]`.repeat(10)));
    // 2001 objects are some 400 kB in memory, from 6 kB of text: the second value fills the queue.
    expect(intake.length).toBe(2);
  });

  it('drops input past its hold on a port that cannot pause, with a log line, and serves what it kept', () => {
    const { log, lines } = memoryLogger();
    const intake = new RequestIntake({ name: 'test port' }, log, () => undefined, { ...limits, maxHeld: 1000 });
    intake.push(pings(0, 4));
    intake.push(pings(4, 20));
    intake.push(pings(100, 20));
    expect(lines().some((l) => l.includes('the host sends requests faster than they are answered'))).toBe(true);
    const taken: (ParseEvent | undefined)[] = [];
    for (let e = intake.next(); e; e = intake.next()) taken.push(e);
    expect(ids(taken)).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
  });

  it('forgets everything when cleared', () => {
    const { port, calls } = pausablePort();
    const intake = new RequestIntake(port, memoryLogger().log, () => undefined, limits);
    intake.push(pings(0, 3000));
    intake.clear();
    expect([intake.length, intake.next(), calls]).toEqual([0, undefined, ['pause', 'resume']]);
  });
});
