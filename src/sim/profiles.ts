import {
  Capability,
  CapabilitySet,
  ChunkPort,
  ClipboardType,
  type DeviceDisplayInfo,
  MAX_CHUNK_DATA_SIZE,
  type Message,
  MessageType,
  MonitorsConfigFlag,
  type MonitorsConfigMessage,
} from '../protocol/index.js';
import type { SerialRule } from './grab-serials.js';

/** A monitor as a client reports it: its size in pixels. */
export interface ClientMonitor {
  width: number;
  height: number;
}

/** What a profile's start-up flow may do on the host side. */
export interface StartupHost {
  /** Sends a client message. */
  send(message: Message): Promise<void>;
  /** Sends a message the server generates. */
  sendFromServer(message: Message): Promise<void>;
  /** The client's monitors. */
  readonly monitors: readonly ClientMonitor[];
  /** What the server reports as GRAPHICS_DEVICE_INFO. */
  readonly devices: DeviceDisplayInfo[];
}

/**
 * One host implementation the agent meets, as data and a few hooks: what it announces, how it cuts
 * and addresses chunks, how it numbers clipboard grabs and puts text on the wire, and what it
 * sends once it knows the agent.
 */
export interface ClientProfile {
  /** Short name, used in test titles and the README's table. */
  readonly name: string;
  /** Where its behaviour comes from. */
  readonly source: string;
  /** What it announces; undefined: it never announces (nor answers the agent's request). */
  readonly caps: CapabilitySet | undefined;
  /** Whether it announces (request=1) as soon as it connects, before hearing the agent. */
  readonly announcesOnConnect: boolean;
  /** The chunk port of MOUSE_STATE and the other server messages: spice-server's 2, or 1. */
  readonly serverPort: ChunkPort;
  /** Largest chunk it sends. */
  readonly maxPiece: number;
  /** Whether its server side sends CLIENT_DISCONNECTED when the client goes. */
  readonly sendsClientDisconnected: boolean;
  /** How it numbers its grabs and which of the agent's it keeps (spec §7.4, §15.4). */
  readonly serials: SerialRule;
  /** The clipboard types it carries (none: it has no clipboard). */
  readonly clipboardTypes: readonly ClipboardType[];
  /** Whether it sends files. */
  readonly fileTransfer: boolean;
  /** While the port is unplugged: pointer input queued for the next agent (true) or dropped. */
  readonly queuesPointerWhileUnplugged: boolean;
  /** Text as it puts it into a CLIPBOARD message. */
  textOnWire(text: string): Buffer;
  /** The MONITORS_CONFIG it sends for these monitors; undefined if it never sends one. */
  monitorsConfig(monitors: readonly ClientMonitor[]): MonitorsConfigMessage | undefined;
  /** What it (and its server) sends once the agent's capabilities are known. */
  startup(agent: CapabilitySet, host: StartupHost): Promise<void>;
}

/** spice-gtk 0.42's capability word `0x00035077` (spec §6.4). */
export const SPICE_GTK_CAPS = CapabilitySet.fromWords([0x00035077]);
/** spice-gtk's default MAX_CLIPBOARD (100 MiB). */
export const SPICE_GTK_MAX_CLIPBOARD = 104857600;
/** The chunk size qemu-vdagent cuts its messages at (spec §3.2). */
export const QEMU_VDAGENT_MAX_PIECE = 1024;

const plainText = (text: string): Buffer => Buffer.from(text, 'utf8');

/** spice-gtk's MONITORS_CONFIG: left to right at y = 0, USE_POS and the physical-size trailer (spec §9). */
function spiceGtkMonitors(monitors: readonly ClientMonitor[]): MonitorsConfigMessage {
  return {
    type: MessageType.MonitorsConfig,
    flags: MonitorsConfigFlag.UsePos | MonitorsConfigFlag.PhysicalSize,
    monitors: monitors.map((m, i) => ({ ...m, depth: 32, x: monitors.slice(0, i).reduce((x, o) => x + o.width, 0), y: 0, physical: { widthMm: 0, heightMm: 0 } })),
  };
}

/** A MONITORS_CONFIG from before positions and sparse configs: enabled monitors packed from index 0, no flags, 8 + 20·N bytes. */
function packedMonitors(monitors: readonly ClientMonitor[]): MonitorsConfigMessage {
  return { type: MessageType.MonitorsConfig, flags: 0, monitors: monitors.filter((m) => m.width > 0 && m.height > 0).map((m) => ({ ...m, depth: 32, x: 0, y: 0 })) };
}

/** spice-server's part: GRAPHICS_DEVICE_INFO on port 2 when the agent asks for it (spec §6.4). */
async function spiceServerFlow(agent: CapabilitySet, host: StartupHost): Promise<void> {
  if (agent.has(Capability.GraphicsDeviceInfo)) await host.sendFromServer({ type: MessageType.GraphicsDeviceInfo, devices: host.devices });
}

/** A SPICE client behind spice-server (chunks of 2048 on port 1, the server's messages on port 2). */
const SPICE_CLIENT = {
  announcesOnConnect: true,
  serverPort: ChunkPort.Server,
  maxPiece: MAX_CHUNK_DATA_SIZE,
  sendsClientDisconnected: true,
  serials: 'spice-gtk',
  queuesPointerWhileUnplugged: false,
  textOnWire: plainText,
} as const;

/** Today's peer: spice-gtk 0.42 behind spice-server (spec §6.4, §6.5). */
export const SPICE_GTK_0_42: ClientProfile = {
  ...SPICE_CLIENT,
  name: 'spice-gtk-0.42',
  source: 'spice-gtk 0.42 and spice-server (spec §6.4, §6.5)',
  caps: SPICE_GTK_CAPS,
  clipboardTypes: [ClipboardType.Utf8Text, ClipboardType.ImagePng],
  fileTransfer: true,
  monitorsConfig: spiceGtkMonitors,
  async startup(agent, host) {
    if (agent.has(Capability.DisplayConfig)) await host.send({ type: MessageType.DisplayConfig, flags: 0, depth: 0 });
    if (agent.has(Capability.MaxClipboard)) await host.send({ type: MessageType.MaxClipboard, max: SPICE_GTK_MAX_CLIPBOARD });
    await spiceServerFlow(agent, host);
    if (agent.has(Capability.MonitorsConfig)) await host.send(spiceGtkMonitors(host.monitors));
  },
};

/**
 * A client from before CLIPBOARD_SELECTION: the five bits of that time (mouse, monitors config,
 * reply, display config, clipboard by demand), so no selection prefix, no grab serial, no
 * MAX_CLIPBOARD and no file transfer; behind today's spice-server.
 */
export const LEGACY_CLIPBOARD: ClientProfile = {
  ...SPICE_CLIENT,
  name: 'legacy-clipboard',
  source: 'modelled on clients from before CLIPBOARD_SELECTION: bits 0, 1, 2, 4, 5 only',
  caps: CapabilitySet.of(Capability.MouseState, Capability.MonitorsConfig, Capability.Reply, Capability.DisplayConfig, Capability.ClipboardByDemand),
  clipboardTypes: [ClipboardType.Utf8Text, ClipboardType.ImagePng],
  fileTransfer: false,
  monitorsConfig: packedMonitors,
  async startup(agent, host) {
    if (agent.has(Capability.DisplayConfig)) await host.send({ type: MessageType.DisplayConfig, flags: 0, depth: 0 });
    await spiceServerFlow(agent, host);
    if (agent.has(Capability.MonitorsConfig)) await host.send(packedMonitors(host.monitors));
  },
};

/**
 * A client that never announces and never answers: it sends its monitors, pointer and files all the
 * same; the agent must serve what needs no capability and keep the clipboard to itself (spec §6.6).
 */
export const NEVER_ANNOUNCES: ClientProfile = {
  ...SPICE_CLIENT,
  name: 'never-announces',
  source: 'a client without ANNOUNCE_CAPABILITIES (before it existed, or broken), behind today\'s spice-server',
  caps: undefined,
  announcesOnConnect: false,
  clipboardTypes: [],
  fileTransfer: true,
  monitorsConfig: packedMonitors,
  async startup(agent, host) {
    await spiceServerFlow(agent, host);
    await host.send(packedMonitors(host.monitors));
  },
};

/**
 * spice-gtk from before monitor positions: no MONITORS_CONFIG_POSITION (bit 12), unaware of sparse
 * configs, and none of the later bits 14, 16, 17: the selection prefix without grab serials, plain
 * file-transfer errors, MONITORS_CONFIG of enabled monitors only, without USE_POS or trailer.
 */
export const NO_MONITOR_POSITION: ClientProfile = {
  ...SPICE_CLIENT,
  name: 'no-monitor-position',
  source: 'modelled on spice-gtk from before MONITORS_CONFIG_POSITION: bits 0, 1, 2, 4, 5, 6',
  caps: CapabilitySet.of(Capability.MouseState, Capability.MonitorsConfig, Capability.Reply, Capability.DisplayConfig, Capability.ClipboardByDemand, Capability.ClipboardSelection),
  clipboardTypes: [ClipboardType.Utf8Text, ClipboardType.ImagePng],
  fileTransfer: true,
  monitorsConfig: packedMonitors,
  async startup(agent, host) {
    if (agent.has(Capability.DisplayConfig)) await host.send({ type: MessageType.DisplayConfig, flags: 0, depth: 0 });
    if (agent.has(Capability.MaxClipboard)) await host.send({ type: MessageType.MaxClipboard, max: SPICE_GTK_MAX_CLIPBOARD });
    await spiceServerFlow(agent, host);
    if (agent.has(Capability.MonitorsConfig)) await host.send(packedMonitors(host.monitors));
  },
};

/**
 * QEMU 7.2's `qemu-vdagent` chardev as the client (mouse=on, clipboard=on): it waits for the agent's
 * request=1, answers `0x00020061`, sends everything on port 1 in chunks of 1024, never
 * MONITORS_CONFIG, MAX_CLIPBOARD or CLIENT_DISCONNECTED; grab serials from 0 by its own rule; VNC
 * text keeps its trailing NUL; pointer input made while the port is unplugged reaches the next
 * agent before the answer to its announcement.
 */
export const QEMU_VDAGENT: ClientProfile = {
  name: 'qemu-vdagent',
  source: 'QEMU 7.2 ui/vdagent.c (-chardev qemu-vdagent,mouse=on,clipboard=on)',
  caps: CapabilitySet.of(Capability.MouseState, Capability.ClipboardByDemand, Capability.ClipboardSelection, Capability.ClipboardGrabSerial),
  announcesOnConnect: false,
  serverPort: ChunkPort.Client,
  maxPiece: QEMU_VDAGENT_MAX_PIECE,
  sendsClientDisconnected: false,
  serials: 'qemu-vdagent',
  clipboardTypes: [ClipboardType.Utf8Text],
  fileTransfer: false,
  queuesPointerWhileUnplugged: true,
  textOnWire: (text) => Buffer.from(`${text}\0`, 'utf8'),
  monitorsConfig: () => undefined,
  startup: async () => undefined,
};

/** Every profile, today's peer first. */
export const CLIENT_PROFILES: readonly ClientProfile[] = [SPICE_GTK_0_42, LEGACY_CLIPBOARD, NEVER_ANNOUNCES, NO_MONITOR_POSITION, QEMU_VDAGENT];
