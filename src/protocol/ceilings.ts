import { MAX_CHUNK_DATA_SIZE, MESSAGE_HEADER_SIZE } from './constants.js';
import { MAX_MONITORS } from './payloads/monitors.js';

/**
 * Ceilings on declared payload sizes, checked when a message header arrives (spec §5: bound the
 * size before keeping anything). They bound memory, they do not validate: the decoders check exact
 * sizes. Only CLIPBOARD legitimately needs large messages; it has the configured ceiling instead.
 */

/**
 * What fits in one chunk beside the 20-byte header (2028 bytes): every fixed-layout type is at most
 * 16 bytes and every sender puts it in one chunk; ANNOUNCE_CAPABILITIES (1 word today),
 * CLIPBOARD_GRAB (7 defined types) and AUDIO_VOLUME_SYNC (at most 3 + 2 · 255 bytes) stay far below.
 * A lying header of these types so never holds more than one chunk of memory.
 */
export const ONE_CHUNK_PAYLOAD = MAX_CHUNK_DATA_SIZE - MESSAGE_HEADER_SIZE;

/** MONITORS_CONFIG: spice-server's 256 monitors with the PHYSICAL_SIZE trailer, 8 + 256 · 24 (spec §9). */
export const MONITORS_CONFIG_CEILING = 8 + MAX_MONITORS * 24;

/**
 * GRAPHICS_DEVICE_INFO: one entry per display, as many displays as MONITORS_CONFIG allows (256),
 * each a 16-byte entry and an address of up to 256 bytes (a PCI path such as "pci/0000/02.0" is 14).
 */
export const GRAPHICS_DEVICE_INFO_CEILING = 4 + MAX_MONITORS * (16 + 256);

/**
 * FILE_XFER_START: id and a key file of a few short lines; a base name of 255 characters, each up
 * to 4 UTF-8 bytes and doubled by key-file escaping, is about 2 KiB, so 16 KiB leaves room for keys
 * other clients may add.
 */
export const FILE_XFER_START_CEILING = 16 * 1024;

/**
 * FILE_XFER_DATA: spice-gtk and spice-html5 send blocks of 64 KiB (32 chunks) plus the 12-byte
 * id and size (spec §10.1); 16 times that admits a client with larger blocks and still bounds a
 * lying header at 1 MiB.
 */
export const FILE_XFER_DATA_CEILING = 16 * 64 * 1024 + 12;

/**
 * Any message on the server's chunk port (2): spice-server sends there only its own MOUSE_STATE,
 * CLIENT_DISCONNECTED and GRAPHICS_DEVICE_INFO, the largest. So only the client's port may declare
 * a clipboard message of `--max-message-size`, and a host interleaving the two ports cannot make
 * the daemon hold two of them whole at once.
 */
export const SERVER_PORT_CEILING = GRAPHICS_DEVICE_INFO_CEILING;
