/**
 * Fault injection: the things Discord (or the network) does to a client that tests need on
 * demand. Each acts on every open connection of a target and returns how many it touched.
 */
import { GatewayOpcodes } from 'discord-api-types/v10';
import { brokenFrame } from '../wire/compression.js';
import type { Connection } from './connection.js';
import { renderOp } from '../wire/frames.js';
import type { GatewayCore } from './gateway.js';

/**
 * A shard id (every open connection that identified or resumed as that shard, of any shard count),
 * one shard of one layout (`{ shardId, numShards }`: connections bound to a session of it), or one
 * connection.
 */
export type Target = number | { readonly connectionId: number } | { readonly shardId: number; readonly numShards: number };

/** The open connections a target names. */
export const connectionsOf = (core: GatewayCore, target: Target): Connection[] => {
  const all = [...core.connections.values()].filter((c) => c.open);
  if (typeof target === 'number') return all.filter((c) => c.shardId === target);
  if ('connectionId' in target) return all.filter((c) => c.id === target.connectionId);
  return all.filter((c) => c.session !== undefined && c.session.shardId === target.shardId && c.session.numShards === target.numShards);
};

const each = (core: GatewayCore, target: Target, act: (conn: Connection) => void): number => {
  const conns = connectionsOf(core, target);
  conns.forEach(act);
  return conns.length;
};

/** Closes with a close frame and `code` (the session's fate follows the code, as on Discord). */
export const closeShard = (core: GatewayCore, target: Target, code: number, reason = 'closed by the emulator'): number =>
  each(core, target, (c) => c.close(code, reason));

/** Destroys the TCP socket without a close frame; the session stays resumable. */
export const drop = (core: GatewayCore, target: Target): number => each(core, target, (c) => c.drop());

/**
 * Zombie mode on: the connection goes silent (no ACKs, no dispatches; dispatches still enter the
 * session buffer) and is never closed for missed heartbeats. Off: ACKs resume and the
 * connection is sent the dispatches it missed.
 */
export const zombie = (core: GatewayCore, target: Target, on: boolean): number =>
  each(core, target, (c) => {
    const was = c.zombie;
    c.zombie = on;
    if (was && !on) {
      c.lastHeartbeatAt = performance.now();
      core.catchUp(c);
    }
  });

/** Sends op 7 (Reconnect); if the client has not closed after `graceMs`, closes with 4000 itself. */
export const reconnect = (core: GatewayCore, target: Target, graceMs: number): number =>
  each(core, target, (c) => {
    c.send(renderOp(GatewayOpcodes.Reconnect, null));
    if (c.reconnectTimer !== undefined) clearTimeout(c.reconnectTimer);
    c.reconnectTimer = setTimeout(() => c.close(4000, 'reconnect requested'), graceMs);
  });

/**
 * Sends op 9 with `d = resumable` and unbinds the connection from its session: with false the
 * session is deleted; with true it stays resumable (its expiry starts). The socket stays open:
 * the client is expected to close it.
 */
export const invalidate = (core: GatewayCore, target: Target, resumable: boolean): number =>
  each(core, target, (c) => {
    c.send(renderOp(GatewayOpcodes.InvalidSession, resumable));
    const session = c.session;
    c.session = undefined;
    if (session === undefined) return;
    if (resumable) core.sessions.detach(session);
    else core.sessions.invalidate(session);
  });

/** Sends a broken message: cut-off JSON on text connections, a corrupt deflate block on compressed ones. */
export const truncate = (core: GatewayCore, target: Target): number =>
  each(core, target, (c) => c.sendRaw(brokenFrame(c.compress !== undefined)));

/** Stops (true) or restarts (false) reading the client's socket; missed heartbeats are forgiven meanwhile. */
export const pauseReading = (core: GatewayCore, target: Target, on: boolean): number => each(core, target, (c) => c.setPaused(on));

/** Sends op 1 (Heartbeat): the client must answer with a heartbeat at once. */
export const requestHeartbeat = (core: GatewayCore, target: Target): number =>
  each(core, target, (c) => c.send(renderOp(GatewayOpcodes.Heartbeat, c.session?.seq ?? null)));
