import { Capability, MessageType, type DeviceDisplayInfo, type Message } from '../../protocol/index.js';
import type { ActionModule, ModuleContext } from '../module.js';
import { DisplayMap } from '../../desktop/display-map.js';

/**
 * Keeps the server's GRAPHICS_DEVICE_INFO (spec §13.2): the map from SPICE display ids to guest
 * graphics devices and outputs, which the mouse and resolution modules consult through the
 * shared DisplayMap.
 */
export class GraphicsDeviceInfoModule implements ActionModule {
  readonly name = 'graphics-device-info';
  readonly capabilities = [Capability.GraphicsDeviceInfo];
  readonly handles = [MessageType.GraphicsDeviceInfo];
  readonly host = 'daemon';
  private ctx: ModuleContext | undefined;

  constructor(private readonly displays: DisplayMap = new DisplayMap()) {}

  /** The last received device list (kept across clients, like spice-vdagentd). */
  get current(): readonly DeviceDisplayInfo[] {
    return this.displays.devices;
  }

  /** The entry for a SPICE display id (`channel_id + monitor_id`). */
  forDisplay(displayId: number): DeviceDisplayInfo | undefined {
    return this.displays.devices.find((d) => d.channelId + d.monitorId === displayId);
  }

  async start(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  handle(message: Message): void {
    if (message.type !== MessageType.GraphicsDeviceInfo) return;
    const mapped = this.displays.setDevices(message.devices);
    this.ctx?.log.info(
      `graphics devices: ${
        message.devices
          .map((d) => {
            const id = d.channelId + d.monitorId;
            const connector = mapped.includes(id) ? ` (${this.displays.connectorFor(id)})` : '';
            return `display ${id} -> ${d.deviceAddress} output ${d.deviceDisplayId}${connector}`;
          })
          .join(', ') || 'none'
      }`,
    );
  }

  resetClient(): void {
    // The device map describes the host's displays, not the client: it survives a reconnect.
  }
}
