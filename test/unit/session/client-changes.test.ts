import { describe, expect, it } from 'vitest';
import { ClientChanges } from '../../../src/session/client-changes.js';

describe('the client changes the helper’s modules have not caught up with', () => {
  it('holds a module from its reset until it confirmed each one, on its own', () => {
    const changes = new ClientChanges();
    expect(changes.current('clipboard')).toBe(true);
    changes.sent('clipboard');
    changes.sent('clipboard'); // two clients changed before the helper read either reset
    changes.sent('file-xfer');
    changes.confirmed('clipboard');
    expect([changes.current('clipboard'), changes.current('file-xfer')]).toEqual([false, false]);
    changes.confirmed('clipboard');
    expect([changes.current('clipboard'), changes.current('file-xfer')]).toEqual([true, false]);
  });

  it('ignores a confirmation it did not ask for, so a helper cannot confirm the next client change ahead of time', () => {
    const changes = new ClientChanges();
    changes.confirmed('clipboard');
    changes.confirmed('clipboard');
    changes.sent('clipboard');
    expect(changes.current('clipboard')).toBe(false);
  });

  it('forgets every outstanding reset when the helper is gone', () => {
    const changes = new ClientChanges();
    changes.sent('clipboard');
    changes.clear();
    expect(changes.current('clipboard')).toBe(true);
  });
});
