import type { DesktopState } from '../desktop/state.js';
import type { Logger } from '../log/logger.js';
import type { SessionBridge } from './bridge.js';
import { currentUserSource, type SessionSource } from './source.js';
import type { ProgramVersion } from './version.js';

/** The `--session` values. */
export const SESSION_SPECS = ['auto', 'current', 'none'] as const;

/** `--session auto`, loading the D-Bus client only when it starts, after the port has opened. */
function lazyLogindSource(log: Logger): SessionSource {
  let source: SessionSource | undefined;
  return {
    async start(onChange) {
      source = (await import('./logind-source.js')).logindSource(log);
      await source.start(onChange);
    },
    async stop() {
      await source?.stop();
    },
  };
}

/**
 * The session bridge `--session` asks for: `auto` follows seat0 through logind, `current` serves
 * the invoking user with the invoking environment, `none` keeps session modules off (undefined,
 * and the bridge's code is not loaded). The helper is this same program (`cli` is its script) in
 * the `session` role, and must report `version`, the daemon's; `desktop` is the daemon's desktop
 * state, which the bridge shares with the helper.
 */
export async function sessionBridgeFor(
  spec: (typeof SESSION_SPECS)[number],
  cli: string,
  log: Logger,
  desktop: DesktopState,
  version: ProgramVersion,
): Promise<SessionBridge | undefined> {
  if (spec === 'none') return undefined;
  const source = spec === 'current' ? currentUserSource() : lazyLogindSource(log);
  const { SessionBridge } = await import('./bridge.js');
  return new SessionBridge({ source, command: { execPath: process.execPath, args: [cli, 'session'], version }, log, desktop });
}
