import type { Monitor } from '../platform/display/monitor.js';
import { isMessageType, MAX_MONITORS, type DeviceDisplayInfo, type Message } from '../protocol/index.js';

/**
 * What travels on the daemon↔helper channel (channel.ts: structured clone in bounded frames)
 * carries typed messages as they are: Buffers stay Buffers (no base64 of file
 * data), bigints stay bigints (the free-space detail), and the daemon encodes what the helper sends
 * with the client's real capabilities, exactly as for its own modules.
 */

/** A session module to run, with its actions.d settings. */
export interface ModuleSpec {
  name: string;
  settings: [string, string][];
}

/** Daemon → helper. */
export type ToHelper =
  /** Run exactly these session modules (start, stop or restart to match). */
  | { kind: 'modules'; modules: ModuleSpec[] }
  /** The client's capability words, sent before a message whenever they changed. */
  | { kind: 'client-caps'; words: number[] }
  /** A client message for one module. */
  | { kind: 'message'; module: string; message: Message }
  /** A new client or none: the module forgets per-client state. */
  | { kind: 'reset'; module: string }
  /** We announced our capabilities to the client (see ActionModule.agentAnnounced). */
  | { kind: 'agent-announced'; module: string }
  /** The server's last GRAPHICS_DEVICE_INFO, for mapping display ids to outputs. */
  | { kind: 'displays'; devices: DeviceDisplayInfo[] };

/** Helper → daemon. */
export type FromHelper =
  /**
   * Privileges are dropped and the helper listens: send it its modules, if `version` (a
   * version.ts `ProgramVersion`, absent from helpers before 0.2.0) is the daemon's. Always the
   * first message; its shape never changes, so any daemon reads any helper's.
   */
  | { kind: 'hello'; version?: unknown }
  /** The modules that started. */
  | { kind: 'running'; modules: string[] }
  /** A message from a module to the client. */
  | { kind: 'message'; module: string; message: Message }
  /** The desktop layout the session applied, for the daemon's mouse (null: none known). */
  | { kind: 'layout'; monitors: Monitor[] | null }
  /** A module closed what one client request held (a transfer's file, by transfer id). */
  | { kind: 'closed'; module: string; id: number }
  /** The capability bits a module can serve now (only its own count; see ModuleContext.offer). */
  | { kind: 'offer'; module: string; capabilities: number[] }
  /** The helper finished this many more of the daemon's messages, oldest first (flow control). */
  | { kind: 'ack'; count: number }
  /** The module took the daemon's reset: what it sends from here on is for the daemon's current client. */
  | { kind: 'reset'; module: string };

/** Whether a value from the helper (a less trusted process) is a well-formed {@link FromHelper}. */
export function isFromHelper(value: unknown): value is FromHelper {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'hello':
      return true;
    case 'ack':
      return Number.isSafeInteger(v.count) && (v.count as number) > 0;
    case 'running':
      return Array.isArray(v.modules) && v.modules.every((m) => typeof m === 'string');
    case 'reset':
      return typeof v.module === 'string';
    case 'closed':
      return typeof v.module === 'string' && Number.isInteger(v.id) && (v.id as number) >= 0 && (v.id as number) <= 0xffffffff;
    case 'offer':
      return typeof v.module === 'string' && Array.isArray(v.capabilities) && v.capabilities.length <= MAX_OFFERED && v.capabilities.every(isCapabilityBit);
    case 'layout':
      // As many monitors as a client may configure: the daemon's mouse walks them on every layout.
      // Spread first: every() skips the holes of a sparse array, and a hole is no monitor.
      return v.monitors === null || (Array.isArray(v.monitors) && v.monitors.length <= MAX_MONITORS && [...(v.monitors as unknown[])].every(isMonitor));
    case 'message': {
      const m = v.message as Record<string, unknown> | null;
      return typeof v.module === 'string' && typeof m === 'object' && m !== null && typeof m.type === 'number' && isMessageType(m.type);
    }
    default:
      return false;
  }
}

/** Most bits one offer may name: more than any module has. */
const MAX_OFFERED = 32;

/** Whether a value is a capability bit number, 0–255 (the daemon keeps only the module's own ones). */
function isCapabilityBit(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 255;
}

/** Whether a value is a monitor rectangle with sane integer fields. */
function isMonitor(value: unknown): value is Monitor {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const int = (k: string): boolean => Number.isSafeInteger(m[k]);
  return int('x') && int('y') && int('width') && int('height') && (m.output === undefined || typeof m.output === 'string') && (m.displayId === undefined || int('displayId'));
}
