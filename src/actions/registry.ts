import type { DesktopState } from '../desktop/state.js';
import type { ActionModule } from './module.js';
import type { SessionGate } from './session-gate.js';
import { AudioModule } from './audio/module.js';
import { checkClipboardBackend } from './clipboard/backend-choice.js';
import { ClipboardGate } from './clipboard/gate.js';
import { ClipboardModule } from './clipboard/module.js';
import { FileXferGate } from './file-xfer/gate.js';
import { FileXferModule } from './file-xfer/module.js';
import { checkSaveDirSetting } from './file-xfer/save-dir.js';
import { GraphicsDeviceInfoModule } from './graphics-device-info/module.js';
import { checkLayoutSetting } from './mouse/layout-setting.js';
import { MouseModule } from './mouse/module.js';
import { checkBackendSetting } from './resolution/settings.js';
import { ResolutionModule } from './resolution/module.js';
import { checkOnOff } from './on-off.js';

/** Checks one setting's value: an error text, or undefined when valid. */
export type SettingCheck = (value: string) => string | undefined;

/** A built-in module: its actions.d name, its settings and how to make one. */
export interface ModuleDefinition {
  /** The actions.d entry name. */
  readonly name: string;
  /** The settings its entry may hold, each with its check. */
  readonly settings?: Readonly<Record<string, SettingCheck>>;
  /** Creates a fresh instance that shares its process's desktop state. */
  create(desktop: DesktopState): ActionModule;
  /** For a session module: its daemon-side rules, given the module (default: its bits announced while a helper serves it). */
  gate?(module: ActionModule): SessionGate;
}

/** The static list of built-in modules; actions.d only switches them on or off. */
export const BUILTIN_MODULES: readonly ModuleDefinition[] = [
  { name: 'graphics-device-info', create: (desktop) => new GraphicsDeviceInfoModule(desktop.displays) },
  { name: 'mouse', settings: { layout: checkLayoutSetting }, create: (desktop) => new MouseModule({ displays: desktop.displays, layout: desktop.layout }) },
  { name: 'resolution', settings: { 'auto-resize': checkOnOff, backend: checkBackendSetting }, create: (desktop) => new ResolutionModule({ displays: desktop.displays, onLayout: (monitors) => desktop.layout.set(monitors) }) },
  { name: 'file-xfer', settings: { dir: checkSaveDirSetting, 'open-when-done': checkOnOff }, create: () => new FileXferModule(), gate: () => new FileXferGate() },
  {
    name: 'clipboard',
    settings: { backend: checkClipboardBackend, primary: checkOnOff },
    create: () => new ClipboardModule(),
    gate: (module) => new ClipboardGate(module.capabilities),
  },
  { name: 'audio', create: () => new AudioModule() },
];

/** Admin actions served over the QEMU guest-agent port; off until an administrator enables them. */
export const ADMIN_ACTIONS: readonly string[] = ['info', 'shutdown', 'exec', 'file', 'set-time', 'fsfreeze', 'ssh-keys', 'set-user-password', 'fstrim', 'suspend', 'set-vcpus', 'set-memory-blocks'];
