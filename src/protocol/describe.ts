import { ClipboardSelection, ClipboardType, FileXferResult, MessageType, ReplyError } from './constants.js';
import type { Message } from './messages.js';
import { messageName } from './table.js';

const hex = (n: number): string => '0x' + n.toString(16);

/** A one-line human description of a typed message, for logs, `decode` and the demo. */
export function describeMessage(m: Message): string {
  const name = messageName(m.type);
  switch (m.type) {
    case MessageType.MouseState:
      return `${name} x=${m.x} y=${m.y} buttons=${hex(m.buttons)} display=${m.displayId}`;
    case MessageType.MonitorsConfig:
      return `${name} flags=${hex(m.flags)} ${m.monitors.map((o) => `${o.width}x${o.height}+${o.x}+${o.y}${o.physical ? ` (${o.physical.widthMm}x${o.physical.heightMm}mm)` : ''}`).join(' ') || '(none)'}`;
    case MessageType.Reply:
      return `${name} to=${messageName(m.replyTo)} ${ReplyError[m.error] ?? m.error}`;
    case MessageType.Clipboard:
      return `${name} selection=${ClipboardSelection[m.selection] ?? m.selection} type=${ClipboardType[m.dataType] ?? m.dataType} ${m.data.length} bytes`;
    case MessageType.DisplayConfig:
      return `${name} flags=${hex(m.flags)} depth=${m.depth}`;
    case MessageType.AnnounceCapabilities:
      return `${name} request=${m.request ? 1 : 0} caps=${m.caps.toString()}`;
    case MessageType.ClipboardGrab:
      return `${name} selection=${ClipboardSelection[m.selection] ?? m.selection}${m.serial === undefined ? '' : ` serial=${m.serial}`} types=${m.types.map((t) => ClipboardType[t] ?? t).join(',')}`;
    case MessageType.ClipboardRequest:
      return `${name} selection=${ClipboardSelection[m.selection] ?? m.selection} type=${ClipboardType[m.dataType] ?? m.dataType}`;
    case MessageType.ClipboardRelease:
      return `${name} selection=${ClipboardSelection[m.selection] ?? m.selection}`;
    case MessageType.FileXferStart:
      return `${name} id=${m.id} ${JSON.stringify(m.keyfile)}`;
    case MessageType.FileXferStatus:
      return `${name} id=${m.id} result=${FileXferResult[m.result] ?? m.result}${m.detail?.length ? ` detail=${m.detail.toString('hex')}` : ''}`;
    case MessageType.FileXferData:
      return `${name} id=${m.id} ${m.data.length} bytes`;
    case MessageType.ClientDisconnected:
      return name;
    case MessageType.MaxClipboard:
      return `${name} max=${m.max}`;
    case MessageType.AudioVolumeSync:
      return `${name} ${m.isPlayback ? 'playback' : 'record'} mute=${m.mute ? 1 : 0} volumes=${m.volumes.join(',')}`;
    case MessageType.GraphicsDeviceInfo:
      return `${name} ${m.devices.map((d) => `${d.channelId}.${d.monitorId}->${d.deviceAddress}#${d.deviceDisplayId}`).join(' ') || '(none)'}`;
  }
}
