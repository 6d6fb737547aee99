import type { ActionModule } from './module.js';
import { GraphicsDeviceInfoModule } from './graphics-device-info/module.js';

/** A built-in module: its actions.d name and how to make one. */
export interface ModuleDefinition {
  /** The actions.d entry name. */
  readonly name: string;
  /** Creates a fresh instance. */
  create(): ActionModule;
}

/** The static list of built-in modules; actions.d only switches them on or off. */
export const BUILTIN_MODULES: readonly ModuleDefinition[] = [
  { name: 'graphics-device-info', create: () => new GraphicsDeviceInfoModule() },
];
