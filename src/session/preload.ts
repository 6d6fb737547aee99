import { loadClipboardBackends } from '../actions/clipboard/backend-choice.js';
import { loadDisplayBackends } from '../actions/resolution/module.js';
import { loadDbusClient } from '../platform/display/mutter.js';
import { loadLibc } from '../platform/load-libc.js';

/**
 * Loads every piece of code the session modules import on demand (clipboard backends, display
 * backends, the D-Bus client, koffi's libc binding that file-xfer links finished files with). A
 * helper that drops privileges in-process does this first, so that it runs when the session's user
 * cannot read the installation (a checkout under /root, a 0700 directory); one that is the user
 * already skips it. Each lazy import is made from the file
 * that makes it later: Node then answers that import from its caches, without reading the file
 * system again. Everything else is imported statically by the runner.
 */
export async function loadSessionCode(): Promise<void> {
  await Promise.all([loadClipboardBackends(), loadDisplayBackends(), loadDbusClient(), loadLibc()]);
}
