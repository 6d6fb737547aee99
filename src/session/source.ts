import type { Identity } from './privileges.js';

/** A desktop session a helper can serve. */
export interface Desktop {
  /** Identifies the session: another id means another helper. */
  id: string;
  /** Whom the helper runs as; absent: the daemon's own user. */
  identity?: Identity;
  /** A login screen rather than a user's desktop. */
  greeter: boolean;
  /** The screen is locked. */
  locked: boolean;
  /** The session's environment, found anew each time a helper starts. */
  environment(): Promise<Record<string, string | undefined>>;
  /**
   * A logind session's leader process (0: logind names none). When present, the helper completes
   * the session's environment itself, as the session's user: the daemon never reads the user's bus
   * or processes.
   */
  leader?: number;
}

/** Where desktops come from: logind (`--session auto`) or the invoking user (`--session current`). */
export interface SessionSource {
  /** Starts following; `onChange` hears of each new state (undefined: no desktop to serve). */
  start(onChange: (desktop: Desktop | undefined) => void): Promise<void>;
  /** Stops following. */
  stop(): Promise<void>;
}

/** `--session current`: one desktop, the invoking user's, with the invoking environment. */
export function currentUserSource(): SessionSource {
  return {
    async start(onChange) {
      onChange({ id: 'current', greeter: false, locked: false, environment: async () => ({ ...process.env }) });
    },
    async stop() {},
  };
}
