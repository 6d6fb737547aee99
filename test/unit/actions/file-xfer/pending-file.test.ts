import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHidden, openUnnamed, removeLeftovers, type PendingFile } from '../../../../src/actions/file-xfer/pending-file.js';

describe('a received file that appears only when complete', () => {
  let dir: string;
  const names = (): string[] => readdirSync(dir).sort();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pending-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [kind, open] of [
    ['an unnamed O_TMPFILE', openUnnamed],
    ['the hidden-name fallback', openHidden],
  ] as const) {
    describe(kind, () => {
      const write = async (text: string): Promise<PendingFile> => {
        const file = await open(dir, 0o600);
        await file.handle.write(Buffer.from(text), 0, text.length, 0);
        return file;
      };

      it('is linked under the first free name, exclusively, and its temporary is gone after close', async () => {
        writeFileSync(join(dir, 'a.txt'), 'old');
        const file = await write('new');
        expect(await file.publish(['a.txt', 'a (1).txt'], () => true)).toBe(join(dir, 'a (1).txt'));
        await file.close();
        expect(names()).toEqual(['a (1).txt', 'a.txt']);
        expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('old');
        expect(readFileSync(join(dir, 'a (1).txt'), 'utf8')).toBe('new');
      });

      it('gets no name when every name is taken, and leaves nothing when closed unpublished', async () => {
        writeFileSync(join(dir, 'b'), '');
        const file = await write('data');
        expect(await file.publish(['b'], () => true)).toBeUndefined();
        await file.close();
        expect(names()).toEqual(['b']);
      });

      it('gets no name when it is no longer wanted once synced (its client left), and leaves nothing when closed', async () => {
        const file = await write('data');
        let asked = 0;
        expect(
          await file.publish(['c'], () => {
            asked++;
            return false;
          }),
        ).toBeUndefined();
        expect(asked).toBe(1);
        await file.close();
        expect(names()).toEqual([]);
      });
    });
  }

  it('writes an O_TMPFILE without any name in the folder', async () => {
    const file = await openUnnamed(dir, 0o600);
    await file.handle.write(Buffer.from('x'));
    expect(names()).toEqual([]);
    await file.close();
    expect(names()).toEqual([]);
  });

  it('removes the hidden files a killed helper left, and nothing else', async () => {
    const left = await openHidden(dir, 0o600);
    await left.handle.close();
    writeFileSync(join(dir, '.vdagent-xfer-notes'), 'mine');
    writeFileSync(join(dir, 'report.pdf.part'), 'mine');
    expect(names()).toHaveLength(3);
    await removeLeftovers(dir);
    expect(names()).toEqual(['.vdagent-xfer-notes', 'report.pdf.part']);
  });
});
