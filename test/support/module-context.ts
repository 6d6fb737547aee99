import type { ModuleContext, ModuleOptions } from '../../src/actions/module.js';
import { CapabilitySet, MessageType, MonitorsConfigFlag, type Message, type MonitorsConfigMessage, type ReplyMessage } from '../../src/protocol/index.js';
import { memoryLogger } from './log.js';

/** A module context whose `send` collects messages, with its settings and a logger kept in memory. */
export function collectingContext(settings: Record<string, string> = {}, options: ModuleOptions = {}): { ctx: ModuleContext; sent: Message[]; logs: () => string } {
  const sent: Message[] = [];
  const { log, lines } = memoryLogger();
  const ctx: ModuleContext = {
    send: (m) => {
      sent.push(m);
      return true;
    },
    clientCaps: () => CapabilitySet.empty,
    log,
    settings: new Map(Object.entries(settings)),
    options,
  };
  return { ctx, sent, logs: () => lines().join('\n') };
}

/** A MONITORS_CONFIG as spice-gtk sends it (USE_POS and PHYSICAL_SIZE unless told otherwise). */
export function monitorsConfig(monitors: { width: number; height: number; x?: number; y?: number }[], flags = MonitorsConfigFlag.UsePos | MonitorsConfigFlag.PhysicalSize): MonitorsConfigMessage {
  return { type: MessageType.MonitorsConfig, flags, monitors: monitors.map((m) => ({ width: m.width, height: m.height, depth: 32, x: m.x ?? 0, y: m.y ?? 0 })) };
}

/** The REPLY messages among those sent. */
export function replies(sent: readonly Message[]): ReplyMessage[] {
  return sent.filter((m): m is ReplyMessage => m.type === MessageType.Reply);
}
