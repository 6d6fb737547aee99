import { describe, expect, it } from 'vitest';
import { announcesSelection } from '../../../src/platform/clipboard/wayland/watch.js';

describe('the selection event in wl-paste’s WAYLAND_DEBUG log', () => {
  it('is read as libwayland up to 1.22 prints it (object@id)', () => {
    expect(announcesSelection('clipboard', '[1234.567] zwlr_data_control_device_v1@3.selection(nil)')).toBe(true);
    expect(announcesSelection('primary', '[1234.567] zwlr_data_control_device_v1@3.primary_selection(zwlr_data_control_offer_v1@4278190080)')).toBe(true);
  });

  it('is read as libwayland 1.23 prints it (the queue’s name, object#id)', () => {
    expect(announcesSelection('clipboard', '[2035830.123] {Default Queue} zwlr_data_control_device_v1#9.selection(nil)')).toBe(true);
    expect(announcesSelection('primary', '[2035830.123] {Default Queue} ext_data_control_device_v1#9.primary_selection(ext_data_control_offer_v1#4278190080)')).toBe(true);
  });

  it('tells the two selections apart and ignores the client’s own requests', () => {
    expect(announcesSelection('clipboard', '[1.0] {Default Queue} zwlr_data_control_device_v1#9.primary_selection(nil)')).toBe(false);
    expect(announcesSelection('primary', '[1.0] {Default Queue} zwlr_data_control_device_v1#9.selection(nil)')).toBe(false);
    expect(announcesSelection('clipboard', '[1.0] {Default Queue}  -> zwlr_data_control_device_v1#9.set_selection(zwlr_data_control_source_v1#10)')).toBe(false);
  });
});
