import type { ClipboardBackend } from '../../platform/clipboard/backend.js';

/** `backend = auto | x11 | wayland` in the clipboard entry. */
export type ClipboardBackendSetting = 'auto' | 'x11' | 'wayland';

/** Checks the `backend` setting. */
export function checkClipboardBackend(value: string): string | undefined {
  return ['auto', 'x11', 'wayland'].includes(value) ? undefined : `expected auto, x11 or wayland, got ${JSON.stringify(value)}`;
}

/** Each backend's code, loaded on first use (the daemon, which runs no backend, never loads it). */
const waylandCode = () => import('../../platform/clipboard/wayland.js');
const x11Code = () => import('../../platform/clipboard/x11/backend.js');

/**
 * Loads every backend's code now. The session helper does so before it drops privileges: as the
 * session's user it may not be able to read the installation.
 */
export async function loadClipboardBackends(): Promise<void> {
  await Promise.all([waylandCode(), x11Code()]);
}

/** Makes one backend. */
async function make(kind: 'x11' | 'wayland', env: NodeJS.ProcessEnv): Promise<ClipboardBackend> {
  if (kind === 'wayland') return new (await waylandCode()).WaylandClipboardBackend(env);
  return new (await x11Code()).X11ClipboardBackend(env.DISPLAY ?? '');
}

/**
 * Starts the clipboard backend for a session. `auto` tries Wayland data control when the session
 * has a Wayland display, then X11 selections when it has an X display: on GNOME, which has no
 * data control, that is Xwayland, whose selections Mutter keeps in step with the Wayland
 * clipboard. `prepare` sees each backend before it starts. Rejects with every reason when none starts.
 */
export async function startClipboardBackend(
  setting: ClipboardBackendSetting,
  env: NodeJS.ProcessEnv,
  prepare: (backend: ClipboardBackend) => void,
  onFallback: (why: string) => void,
): Promise<ClipboardBackend> {
  const kinds: ('x11' | 'wayland')[] = [];
  if (setting !== 'x11' && (setting === 'wayland' || env.WAYLAND_DISPLAY)) kinds.push('wayland');
  if (setting !== 'wayland' && env.DISPLAY) kinds.push('x11');
  if (kinds.length === 0) throw new Error(`the session has no ${setting === 'auto' ? 'WAYLAND_DISPLAY nor DISPLAY' : setting === 'x11' ? 'DISPLAY' : 'WAYLAND_DISPLAY'}: no clipboard to follow`);
  const reasons: string[] = [];
  for (const kind of kinds) {
    try {
      const backend = await make(kind, env);
      prepare(backend);
      await backend.start();
      if (reasons.length) onFallback(`${reasons.join('; ')}: using ${kind}`);
      return backend;
    } catch (err) {
      reasons.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(reasons.join('; '));
}
