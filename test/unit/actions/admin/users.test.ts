import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonFloat } from '../../../../src/qga/index.js';
import { guestUsers, parseSessions } from '../../../../src/actions/admin/users.js';

/** A logind session record as /run/systemd/sessions/ID holds it. */
const session = (fields: Record<string, string>): string =>
  Object.entries({ UID: '1000', ACTIVE: '1', IS_DISPLAY: '0', STATE: 'active', REMOTE: '0', TYPE: 'tty', ...fields })
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';

describe('logind sessions, where the system keeps no utmp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdagent-users-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists each user of a user-class session once, with the earliest login, in login order', () => {
    const users = parseSessions([
      session({ USER: 'bob', CLASS: 'user', REALTIME: '1700000300000000' }),
      session({ USER: 'ann', CLASS: 'user', REALTIME: '1700000200500000' }),
      session({ USER: 'bob', CLASS: 'user-early', REALTIME: '1700000100000000' }),
    ]);
    expect(users).toEqual([
      { user: 'bob', loginTime: 1700000100 },
      { user: 'ann', loginTime: 1700000200.5 },
    ]);
  });

  it('leaves out greeters, background and manager sessions, closing sessions and broken records', () => {
    const users = parseSessions([
      session({ USER: 'gdm', CLASS: 'greeter', REALTIME: '1' }),
      session({ USER: 'cron', CLASS: 'background', REALTIME: '1' }),
      session({ USER: 'ann', CLASS: 'manager', REALTIME: '1' }),
      session({ USER: 'gone', CLASS: 'user', STATE: 'closing', REALTIME: '1' }),
      session({ CLASS: 'user', REALTIME: '1' }),
      session({ USER: 'odd', CLASS: 'user', REALTIME: 'soon' }),
      'not a record',
    ]);
    expect(users).toEqual([]);
  });

  it('answers guest-get-users from the session records when utmp is missing, passing over the FIFOs beside them and links', () => {
    const sessions = join(dir, 'sessions');
    mkdirSync(sessions);
    writeFileSync(join(sessions, '3'), session({ USER: 'ann', CLASS: 'user', REALTIME: '1700000000250000' }));
    // logind keeps a FIFO per session (ID.ref): reading it would block the agent for good.
    execFileSync('mkfifo', [join(sessions, '3.ref')]);
    writeFileSync(join(dir, 'elsewhere'), session({ USER: 'eve', CLASS: 'user', REALTIME: '1' }));
    symlinkSync(join(dir, 'elsewhere'), join(sessions, '4'));
    expect(guestUsers(join(dir, 'no-utmp'), sessions)).toEqual([
      new Map<string, unknown>([
        ['user', 'ann'],
        ['login-time', new JsonFloat(1700000000.25)],
      ]),
    ]);
  });

  it('answers from utmp when it exists, even with no one in it, as qemu-ga', () => {
    const utmp = join(dir, 'utmp');
    writeFileSync(utmp, Buffer.alloc(0));
    expect(guestUsers(utmp, join(dir, 'sessions'))).toEqual([]);
  });
});
