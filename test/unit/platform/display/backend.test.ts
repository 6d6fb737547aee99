import { describe, expect, it } from 'vitest';
import { backendKindFor } from '../../../../src/platform/display/backend.js';

describe('choosing the display backend', () => {
  it('by desktop first, then by session type', () => {
    expect(backendKindFor({ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME', XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0' })).toBe('gnome');
    expect(backendKindFor({ XDG_CURRENT_DESKTOP: 'GNOME', XDG_SESSION_TYPE: 'x11', DISPLAY: ':0' })).toBe('gnome');
    expect(backendKindFor({ XDG_CURRENT_DESKTOP: 'KDE', XDG_SESSION_TYPE: 'wayland' })).toBe('kde');
    expect(backendKindFor({ XDG_CURRENT_DESKTOP: 'sway', WAYLAND_DISPLAY: 'wayland-1' })).toBe('wlroots');
    expect(backendKindFor({ XDG_CURRENT_DESKTOP: 'XFCE', XDG_SESSION_TYPE: 'x11', DISPLAY: ':0' })).toBe('x11');
    expect(backendKindFor({ DISPLAY: ':1' })).toBe('x11');
    expect(backendKindFor({})).toBeUndefined();
  });
});
