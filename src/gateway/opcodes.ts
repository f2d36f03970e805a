/**
 * Gateway opcodes, as Discord numbers them (API v10).
 * Re-exported from `discord-api-types` so there is one source of truth: from its gateway module alone,
 * the same objects as `discord-api-types/v10`'s without loading the whole API's (about 3 MiB of RSS).
 * @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-opcodes
 */
export { GatewayOpcodes, GatewayDispatchEvents, GatewayCloseCodes } from 'discord-api-types/gateway/v10';

/** The gateway API version this library speaks. */
export const GATEWAY_VERSION = 10;

/** Discord closes the connection (4002) when a sent payload is larger than this many bytes. */
export const MAX_SEND_BYTES = 4096;

/** Discord allows this many sent frames per connection in each sliding window of `SEND_WINDOW_MS`. */
export const SEND_LIMIT = 120;

/** The window of `SEND_LIMIT`, in milliseconds. */
export const SEND_WINDOW_MS = 60_000;

/** Discord's identify window: each rate-limit key may identify once per this many milliseconds. */
export const IDENTIFY_WINDOW_MS = 5_000;
