import { describe, expect, it } from 'vitest';
import { hotplugCard, MAX_LINE, MAX_PROPERTIES, UeventReader, type Uevent } from '../../../../src/platform/drm/uevents.js';
import { QXL_HOTPLUG as QXL_HOTPLUG_EVENT, UDEVADM_BANNER } from '../../../support/udevadm-output.js';

/** A qxl hotplug after udevadm's banner, as the watcher's child prints them. */
const QXL_HOTPLUG = UDEVADM_BANNER + QXL_HOTPLUG_EVENT;

function read(...pieces: string[]): Uevent[] {
  const events: Uevent[] = [];
  const reader = new UeventReader((e) => events.push(e));
  for (const p of pieces) reader.push(p);
  return events;
}

describe('reading udevadm monitor --property', () => {
  it('reads an event with its properties and skips the banner', () => {
    const [event, ...rest] = read(QXL_HOTPLUG);
    expect(rest).toEqual([]);
    expect(event?.action).toBe('change');
    expect(event?.devpath).toBe('/devices/pci0000:00/0000:00:01.0/drm/card0');
    expect(event?.properties.get('HOTPLUG')).toBe('1');
    expect(event && hotplugCard(event)).toBe('card0');
  });

  it('reads the same from pieces of any size, one byte at a time included', () => {
    const whole = read(QXL_HOTPLUG + QXL_HOTPLUG);
    expect(read(...QXL_HOTPLUG.repeat(2).split(''))).toEqual(whole);
    expect(whole).toHaveLength(2);
  });

  it('drops a line longer than MAX_LINE whole and reads on after it', () => {
    const long = `X=${'a'.repeat(MAX_LINE * 3)}\n`;
    const text = QXL_HOTPLUG.replace('HOTPLUG=1\n', `${long}HOTPLUG=1\n`);
    const [event] = read(...text.match(/[\s\S]{1,1000}/g)!);
    expect(event?.properties.has('X')).toBe(false);
    expect(event?.properties.get('HOTPLUG')).toBe('1');
  });

  it('keeps at most MAX_PROPERTIES properties of an event', () => {
    const many = Array.from({ length: MAX_PROPERTIES * 2 }, (_, i) => `P${i}=v\n`).join('');
    const [event] = read(QXL_HOTPLUG.replace('ACTION=change\n', many));
    expect(event?.properties.size).toBe(MAX_PROPERTIES);
  });

  it('takes a hotplug change of a card and a card added or removed; not a change without HOTPLUG, nor a connector or another subsystem', () => {
    const event = (action: string, devpath: string, props: Record<string, string>): Uevent => ({ action, devpath, properties: new Map(Object.entries(props)) });
    const card = '/devices/pci0000:00/0000:00:02.0/drm/card1';
    expect(hotplugCard(event('change', card, { SUBSYSTEM: 'drm', HOTPLUG: '1' }))).toBe('card1');
    expect(hotplugCard(event('add', card, { SUBSYSTEM: 'drm' }))).toBe('card1');
    expect(hotplugCard(event('remove', card, { SUBSYSTEM: 'drm' }))).toBe('card1');
    expect(hotplugCard(event('change', card, { SUBSYSTEM: 'drm' }))).toBeUndefined();
    expect(hotplugCard(event('change', `${card}/card1-Virtual-1`, { SUBSYSTEM: 'drm', HOTPLUG: '1' }))).toBeUndefined();
    expect(hotplugCard(event('change', '/devices/virtual/misc/card0', { SUBSYSTEM: 'misc', HOTPLUG: '1' }))).toBeUndefined();
  });
});
