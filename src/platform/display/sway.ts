import { DisplayError, DisplayErrorCode } from './backend.js';
import { SwayRequest, swayRequest } from './sway-ipc.js';
import type { Size, WlrChange, WlrOutput, WlrOutputTool } from './wlr-output.js';

/** The refresh rate asked for with a custom mode (wlroots' DRM backend computes a CVT mode for it; `mode --custom 1152x720@60Hz` is what sway 1.10 applied on virtio-gpu). */
const CUSTOM_REFRESH = '60Hz';
/** Output names sway's command parser takes as one word (connector names: `Virtual-1`, `HDMI-A-1`, `HEADLESS-1`). */
const PLAIN_NAME = /^[\w.:-]+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const bad = (what: string): DisplayError => new DisplayError(DisplayErrorCode.BadAnswer, `sway get_outputs: ${what}`);
const size = (v: unknown): Size | undefined => (isObject(v) && typeof v.width === 'number' && typeof v.height === 'number' ? { width: v.width, height: v.height } : undefined);

/**
 * Parses sway's get_outputs answer: `name`, `active`, `rect` (the logical place), `scale`, `modes`
 * (as wlroots listed them when the output connected) and `current_mode`, which a custom mode makes
 * a size the list lacks. sway marks no mode preferred.
 */
export function parseSwayOutputs(doc: unknown): WlrOutput[] {
  if (!Array.isArray(doc)) throw bad('not a list');
  return doc.map((o: unknown): WlrOutput => {
    if (!isObject(o) || typeof o.name !== 'string' || !isObject(o.rect)) throw bad('an output without a name or rect');
    const current = o.active === true ? size(o.current_mode) : undefined;
    const modes = (Array.isArray(o.modes) ? o.modes : []).flatMap((m: unknown) => {
      const s = size(m);
      return s ? [{ ...s, current: s.width === current?.width && s.height === current.height, preferred: false }] : [];
    });
    const listed = modes.some((m) => m.current);
    const out: WlrOutput = { name: o.name, enabled: o.active === true, x: Number(o.rect.x) || 0, y: Number(o.rect.y) || 0, scale: typeof o.scale === 'number' && o.scale > 0 ? o.scale : 1, modes };
    return current && !listed ? { ...out, custom: current } : out;
  });
}

/**
 * sway's commands for `changes`, `;`-separated: `output NAME disable`, or `output NAME enable mode
 * WxH pos X Y` with `mode --custom WxH@60Hz` for a size the output does not list (sway 1.10 keeps
 * the output as it was when wlr-randr asks for that custom mode on virtio-gpu). Rejects output
 * names the parser would not take as one word.
 */
export function swayCommands(changes: readonly WlrChange[]): string {
  return changes
    .map((c) => {
      if (!PLAIN_NAME.test(c.name)) throw new DisplayError(DisplayErrorCode.BadAnswer, `sway: an output name that is not one word: ${JSON.stringify(c.name)}`);
      if (!c.enabled) return `output ${c.name} disable`;
      const mode = c.listed ? `${c.width}x${c.height}` : `--custom ${c.width}x${c.height}@${CUSTOM_REFRESH}`;
      return `output ${c.name} enable mode ${mode} pos ${c.x} ${c.y}`;
    })
    .join('; ');
}

/** The errors in sway's run_command answer (one `{success, error}` a command); throws BadAnswer for another shape. */
export function swayCommandErrors(doc: unknown): string[] {
  if (!Array.isArray(doc) || !doc.every(isObject)) throw new DisplayError(DisplayErrorCode.BadAnswer, 'sway run_command: not a list of results');
  return doc.filter((r) => r.success !== true).map((r) => (typeof r.error === 'string' ? r.error : 'failed'));
}

/** sway's IPC on the socket `path` (SWAYSOCK): get_outputs, and run_command with `output` commands. */
export function swayIpc(path: string): WlrOutputTool {
  return {
    name: 'sway',
    read: async () => parseSwayOutputs(await swayRequest(path, SwayRequest.GetOutputs, '')),
    apply: async (changes) => {
      const errors = swayCommandErrors(await swayRequest(path, SwayRequest.RunCommand, swayCommands(changes)));
      if (errors.length > 0) throw new DisplayError(DisplayErrorCode.Refused, `sway refused the configuration: ${errors.join('; ')}`);
    },
  };
}
