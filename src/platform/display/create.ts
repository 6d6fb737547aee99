import type { BackendKind, DisplayBackend, DisplayEnv } from './backend.js';
import { KscreenBackend } from './kscreen.js';
import { MutterBackend } from './mutter.js';
import { WlrootsBackend } from './wlroots.js';
import { X11Backend } from './x11.js';

/** Makes the backend of a kind for a session's environment. */
export function createBackend(kind: BackendKind, env: DisplayEnv): DisplayBackend {
  switch (kind) {
    case 'x11':
      return new X11Backend(env);
    case 'gnome':
      return new MutterBackend(env);
    case 'kde':
      return new KscreenBackend(env);
    case 'wlroots':
      return new WlrootsBackend(env);
  }
}
