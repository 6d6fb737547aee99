import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileXferResult } from '../../src/protocol/index.js';
import { startDesktopDaemon, type DesktopDaemon } from '../support/desktop-daemon.js';
import { TransferClient } from '../support/file-xfer-client.js';

/** Every file under `dir`, by path. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('the daemon on a SPICE port that is a UNIX socket', () => {
  let desktop: DesktopDaemon | undefined;
  afterEach(async () => {
    await desktop?.stop();
    desktop = undefined;
  });

  it('connects to it, announces itself and receives a file through its helper', async () => {
    desktop = await startDesktopDaemon({ socketPort: true });
    expect(desktop.agent.hostFd).toBeUndefined();
    const client = new TransferClient(desktop.agent);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    const content = Buffer.alloc(3 * 65536 + 123, 0x37);
    expect((await client.sendFile('over-a-socket.bin', content)).result).toBe(FileXferResult.Success);
    const saved = filesUnder(desktop.home).filter((p) => p.endsWith('over-a-socket.bin'));
    expect(saved).toHaveLength(1);
    expect(readFileSync(saved[0] as string).equals(content)).toBe(true);
  });
});
