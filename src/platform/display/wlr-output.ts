import { DisplayError, DisplayErrorCode, type OutputRequest } from './backend.js';

/** A width and a height in physical pixels. */
export interface Size {
  width: number;
  height: number;
}

/** An output of a wlroots compositor as its tool (wlr-randr, sway's IPC) reports it; the position is in logical pixels. */
export interface WlrOutput {
  name: string;
  enabled: boolean;
  x: number;
  y: number;
  scale: number;
  /** The modes the output lists (wlroots reads a DRM connector's modes when it connects). */
  modes: (Size & { current: boolean; preferred: boolean })[];
  /** The current mode when the output does not list it: a custom mode, as sway reports it. */
  custom?: Size;
}

/** One output's change, resolved against the compositor's outputs: off, or on at a size and a logical position. */
export type WlrChange =
  | { name: string; enabled: false }
  | (Size & { name: string; enabled: true; x: number; y: number; /** Whether the output lists a mode of that size (else a custom mode is made). */ listed: boolean });

/** A wlroots compositor's way to read its outputs and to apply changes (wlr-randr, sway's IPC). */
export interface WlrOutputTool {
  /** What to call it in errors: `wlr-randr`, `sway`. */
  readonly name: string;
  read(): Promise<WlrOutput[]>;
  /** Applies every change at once; rejects with a DisplayError when the compositor says it failed. */
  apply(changes: readonly WlrChange[]): Promise<void>;
}

/** The output's current size, listed or custom; undefined when off or unknown. */
export const currentSize = (o: WlrOutput): Size | undefined => o.modes.find((m) => m.current) ?? o.custom;

/**
 * The changes that bring `outputs` to `requests`: outputs to switch off that are on, and each
 * output to show at its size (a listed mode when there is one) and place (desktop pixels divided
 * by the output's scale). Rejects a request for an output the compositor does not have.
 */
export function wlrChanges(outputs: readonly WlrOutput[], requests: readonly OutputRequest[]): WlrChange[] {
  return requests.flatMap((r): WlrChange[] => {
    const out = outputs.find((o) => o.name === r.name);
    if (!out) throw new DisplayError(DisplayErrorCode.NoSuchOutput, `the compositor has no output ${r.name}`);
    if (!r.enabled) return out.enabled ? [{ name: out.name, enabled: false }] : [];
    const listed = out.modes.some((m) => m.width === r.width && m.height === r.height);
    const at = (v: number): number => Math.round(v / out.scale);
    return [{ name: out.name, enabled: true, width: r.width, height: r.height, x: at(r.x), y: at(r.y), listed }];
  });
}

/** An output as read back: `Virtual-1 1152x720+0+0` (logical position), `Virtual-1 off`, `Virtual-1 gone`. */
function describeOutput(o: WlrOutput | undefined, name: string): string {
  if (!o) return `${name} gone`;
  if (!o.enabled) return `${name} off`;
  const size = currentSize(o);
  return `${name} ${size ? `${size.width}x${size.height}` : '(no current mode)'}+${o.x}+${o.y}`;
}

/**
 * The changes `outputs` (read back after applying) do not show, each as `Virtual-1 1024x768+0+0,
 * not 1152x720+0+0`: a compositor may answer success and keep an output as it was (sway 1.10 with
 * wlr-randr's custom modes on virtio-gpu; sway 1.7 switching a headless output off).
 */
export function unappliedChanges(changes: readonly WlrChange[], outputs: readonly WlrOutput[]): string[] {
  return changes.flatMap((c) => {
    const o = outputs.find((out) => out.name === c.name);
    const size = o && currentSize(o);
    const shown = c.enabled ? o?.enabled === true && size?.width === c.width && size.height === c.height && o.x === c.x && o.y === c.y : o?.enabled !== true;
    return shown ? [] : [`${describeOutput(o, c.name)}, not ${c.enabled ? `${c.width}x${c.height}+${c.x}+${c.y}` : 'off'}`];
  });
}
