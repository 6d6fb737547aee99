import type { DrmCard } from '../../platform/drm/connectors.js';
import { leftToRight, type Monitor } from '../../platform/display/monitor.js';

/**
 * The desktop as the DRM connectors show it when no graphical session reports one: every
 * connected, enabled connector at the size of its first listed mode (the preferred one; sysfs
 * does not show the mode a CRTC drives), left to right in card and connector order.
 */
export function drmLayout(cards: readonly DrmCard[]): Monitor[] {
  const sizes: { width: number; height: number; output: string }[] = [];
  for (const card of cards) {
    for (const c of card.connectors) {
      const mode = c.modes[0];
      if (c.status === 'connected' && c.enabled && mode) sizes.push({ width: mode.width, height: mode.height, output: c.name });
    }
  }
  return leftToRight(sizes);
}
