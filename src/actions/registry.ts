import type { ActionModule } from './module.js';
import { GraphicsDeviceInfoModule } from './graphics-device-info/module.js';

/** Checks one setting's value: an error text, or undefined when valid. */
export type SettingCheck = (value: string) => string | undefined;

/** A built-in module: its actions.d name, its settings and how to make one. */
export interface ModuleDefinition {
  /** The actions.d entry name. */
  readonly name: string;
  /** The settings its entry may hold, each with its check. */
  readonly settings?: Readonly<Record<string, SettingCheck>>;
  /** Creates a fresh instance. */
  create(): ActionModule;
}

/** A check for on/off settings. */
export const onOff: SettingCheck = (v) => (/^(on|off|yes|no|true|false)$/.test(v) ? undefined : `expected on or off, got ${JSON.stringify(v)}`);

/** The static list of built-in modules; actions.d only switches them on or off. */
export const BUILTIN_MODULES: readonly ModuleDefinition[] = [
  { name: 'graphics-device-info', create: () => new GraphicsDeviceInfoModule() },
];

/** Admin actions served over the QEMU guest-agent port; off until an administrator enables them. */
export const ADMIN_ACTIONS: readonly string[] = ['info', 'shutdown', 'exec', 'file', 'set-time', 'fsfreeze'];
