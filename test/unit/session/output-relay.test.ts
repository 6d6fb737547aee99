import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_RELAYED_LINE, relayOutput } from '../../../src/session/output-relay.js';
import { memoryLogger } from '../../support/log.js';

/** A relay of one stream: what to write into it, and the text that came out. */
function relay(unlimited = false): { from: PassThrough; out: () => string; ended: Promise<void> } {
  const from = new PassThrough();
  const to = new PassThrough();
  let text = '';
  to.on('data', (d: Buffer) => (text += d.toString()));
  relayOutput([{ from, to }], memoryLogger().log, 'helper 1', unlimited);
  return { from, out: () => text, ended: new Promise((r) => from.on('end', r)) };
}

describe("the relay of a session helper's output", () => {
  it('passes lines on as they are, however the writes cut them, the last one without a newline included', async () => {
    const r = relay();
    r.from.write('<6>session environment: DISP');
    r.from.write('LAY from logind\n<4>second\nthi');
    r.from.end('rd');
    await r.ended;
    expect(r.out()).toBe('<6>session environment: DISPLAY from logind\n<4>second\nthird\n');
  });

  it('lowers a priority above error to error, as journald would read it, and leaves the others', async () => {
    const r = relay();
    r.from.end('<0>wall\n<1>a\n<2>b\n<002>c\n<3>d\n<4>e\n<7>f\n<10>g\nh <0>\n');
    await r.ended;
    expect(r.out()).toBe('<3>wall\n<3>a\n<3>b\n<3>c\n<3>d\n<4>e\n<7>f\n<10>g\nh <0>\n');
  });

  it(`cuts a line at ${MAX_RELAYED_LINE} characters and drops the rest of it`, async () => {
    const r = relay();
    r.from.write('x'.repeat(MAX_RELAYED_LINE - 10));
    r.from.write(`${'y'.repeat(100_000)}\nnext\n`);
    r.from.end();
    await r.ended;
    expect(r.out()).toBe(`${'x'.repeat(MAX_RELAYED_LINE - 10)}${'y'.repeat(10)}\nnext\n`);
  });

  it('holds back a flood, and passes everything under --debug', async () => {
    const flood = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'abcdefghij'[i % 10] ?? ''}\n`).join('');
    const limited = relay();
    const unlimited = relay(true);
    limited.from.end(flood);
    unlimited.from.end(flood);
    await Promise.all([limited.ended, unlimited.ended]);
    expect(limited.out().split('\n').length - 1).toBe(100);
    expect(unlimited.out()).toBe(flood);
  });
});
