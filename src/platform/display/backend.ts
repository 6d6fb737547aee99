/** The display-configuration backends, one per kind of desktop. */
export type BackendKind = 'x11' | 'gnome' | 'kde' | 'wlroots';

/** Every backend kind. */
export const BACKEND_KINDS: readonly BackendKind[] = ['x11', 'gnome', 'kde', 'wlroots'];

/** An output as the desktop reports it. */
export interface OutputState {
  /** The output's name (`Virtual-1`, `DUMMY0`, `Meta-0`, `HEADLESS-1`). */
  name: string;
  /** Whether it shows part of the desktop. */
  enabled: boolean;
  /** Its place and size in desktop pixels (0×0 when off or unknown). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Whether a monitor is attached, when the backend tells (a DRM connector's status). */
  connected?: boolean;
  /** The size of its preferred mode, when the backend tells (a DRM connector's first mode). */
  preferred?: { width: number; height: number };
}

/** What an output should become: off, or on at a size and place. */
export type OutputRequest =
  | { name: string; enabled: false }
  | { name: string; enabled: true; x: number; y: number; width: number; height: number; primary: boolean };

/** One desktop's display configuration: read the outputs, apply a whole layout at once. */
export interface DisplayBackend {
  /** Which backend this is. */
  readonly kind: BackendKind;
  /** The outputs, in the desktop's own order. */
  outputs(): Promise<OutputState[]>;
  /** Applies a layout; outputs not named keep their state. Rejects with a DisplayError. */
  apply(requests: readonly OutputRequest[]): Promise<void>;
  /** Releases what the backend holds (a D-Bus connection). */
  close(): Promise<void>;
}

/** Why a backend failed. */
export enum DisplayErrorCode {
  /** A tool (xrandr, wlr-randr, kscreen-doctor) or a compositor's socket is missing, failed or timed out. */
  ToolFailed = 'tool-failed',
  /** A tool's or the compositor's answer could not be understood. */
  BadAnswer = 'bad-answer',
  /** A named output does not exist. */
  NoSuchOutput = 'no-such-output',
  /** The output has no mode of the wanted size and the backend cannot make one. */
  NoSuchMode = 'no-such-mode',
  /** The compositor refused the configuration. */
  Refused = 'refused',
  /** The compositor said it applied the configuration, yet its outputs, read back, show otherwise. */
  NotApplied = 'not-applied',
  /** The compositor's socket is gone or nobody listens on it (a stale SWAYSOCK). */
  Unreachable = 'unreachable',
}

/** A backend failure, with its code. */
export class DisplayError extends Error {
  constructor(
    readonly code: DisplayErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The environment variables that decide the backend. */
export type DisplayEnv = Readonly<Record<string, string | undefined>>;

/**
 * The backend for a session's environment: GNOME (Mutter, on X11 or Wayland) and KDE Plasma by
 * XDG_CURRENT_DESKTOP; other Wayland sessions are taken for wlroots compositors; other X11 sessions
 * use xrandr. Undefined without a graphical session.
 */
export function backendKindFor(env: DisplayEnv): BackendKind | undefined {
  const desktops = (env.XDG_CURRENT_DESKTOP ?? '').split(':').map((d) => d.trim().toUpperCase());
  if (desktops.includes('GNOME')) return 'gnome';
  if (desktops.includes('KDE')) return 'kde';
  if (env.XDG_SESSION_TYPE === 'wayland' || env.WAYLAND_DISPLAY) return 'wlroots';
  if (env.XDG_SESSION_TYPE === 'x11' || env.DISPLAY) return 'x11';
  return undefined;
}
