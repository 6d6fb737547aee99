import { DisplayError, DisplayErrorCode, type DisplayBackend, type DisplayEnv, type OutputRequest, type OutputState } from './backend.js';
import { readDrmCards, SYSFS, type DrmCard } from '../drm/connectors.js';
import { swayIpc } from './sway.js';
import { currentSize, unappliedChanges, wlrChanges, type WlrOutput, type WlrOutputTool } from './wlr-output.js';
import { wlrRandr } from './wlr-randr.js';

/**
 * The outputs with each DRM connector's preferred mode as the kernel has it now (the first of its
 * sysfs `modes`), where an output is a connector of `cards` by name: wlroots (through 0.18 at
 * least) reads a connector's modes once, when it connects, so after a display device's hotplug
 * (virtio-gpu, qxl) its list, and wlr-randr's, still shows the old preferred mode.
 */
export function withKernelPreferred(outputs: readonly OutputState[], cards: readonly DrmCard[]): OutputState[] {
  const connectors = cards.flatMap((c) => c.connectors);
  return outputs.map((o) => {
    const mode = connectors.find((c) => c.name === o.name && c.status === 'connected')?.modes[0];
    return mode ? { ...o, preferred: { width: mode.width, height: mode.height } } : o;
  });
}

/**
 * wlroots compositors (sway, Hyprland, river, labwc, Wayfire). sway (SWAYSOCK names its IPC socket;
 * the helper takes it from the user's systemd manager, where sway's configuration imports it) is
 * configured through its IPC with `output` commands: sway 1.10 answers wlr-randr's custom modes
 * with success yet keeps the output as it was. The others, and a sway whose SWAYSOCK is stale,
 * through `wlr-randr` and the wlr-output-management protocol. Either way every output is set at
 * once (a listed mode, else a custom one; the position in logical pixels; off for outputs to
 * switch off that are on), and the outputs are read back: a compositor that kept an output as it
 * was fails the apply with NotApplied.
 */
export class WlrootsBackend implements DisplayBackend {
  readonly kind = 'wlroots';

  constructor(
    private readonly env: DisplayEnv,
    private readonly sysRoot: string = SYSFS,
  ) {}

  async outputs(): Promise<OutputState[]> {
    const outputs = (await this.query()).outputs.map((o): OutputState => {
      const size = currentSize(o);
      const preferred = o.modes.find((m) => m.preferred);
      const extra = preferred ? { preferred: { width: preferred.width, height: preferred.height } } : {};
      return o.enabled && size
        ? { name: o.name, enabled: true, x: Math.round(o.x * o.scale), y: Math.round(o.y * o.scale), width: size.width, height: size.height, ...extra }
        : { name: o.name, enabled: o.enabled, x: 0, y: 0, width: 0, height: 0, ...extra };
    });
    return withKernelPreferred(outputs, readDrmCards(this.sysRoot));
  }

  async apply(requests: readonly OutputRequest[]): Promise<void> {
    const { tool, outputs } = await this.query();
    const changes = wlrChanges(outputs, requests);
    if (changes.length === 0) return;
    await tool.apply(changes);
    const missed = unappliedChanges(changes, await tool.read());
    if (missed.length > 0) throw new DisplayError(DisplayErrorCode.NotApplied, `${tool.name} answered success, yet ${missed.join('; ')}`);
  }

  async close(): Promise<void> {}

  /** The outputs and the tool that read them: sway's IPC when SWAYSOCK names a socket that answers, else wlr-randr. */
  private async query(): Promise<{ tool: WlrOutputTool; outputs: WlrOutput[] }> {
    if (this.env.SWAYSOCK) {
      const sway = swayIpc(this.env.SWAYSOCK);
      try {
        return { tool: sway, outputs: await sway.read() };
      } catch (err) {
        if (!(err instanceof DisplayError && err.code === DisplayErrorCode.Unreachable)) throw err;
      }
    }
    const tool = wlrRandr(this.env);
    return { tool, outputs: await tool.read() };
  }
}
