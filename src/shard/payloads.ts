import os from 'node:os';
import { GatewayOpcodes } from 'discord-api-types/gateway/v10';
import type { OutgoingPayload } from '../gateway/encode.js';
import type { ResolvedShardOptions } from './options.js';
import type { LiveSession } from './session.js';

/** The identify payload (op 2) of a shard. */
export const identifyPayload = (options: ResolvedShardOptions): OutgoingPayload => ({
  op: GatewayOpcodes.Identify,
  d: {
    token: options.token,
    intents: options.intents,
    properties: {
      os: options.properties?.os ?? os.platform(),
      browser: options.properties?.browser ?? 'discluster',
      device: options.properties?.device ?? 'discluster',
    },
    shard: [options.shardId, options.totalShards],
    large_threshold: options.largeThreshold,
    ...(options.presence ? { presence: options.presence } : {}),
  },
});

/** The resume payload (op 6) of a session. */
export const resumePayload = (token: string, session: LiveSession): OutgoingPayload => ({
  op: GatewayOpcodes.Resume,
  d: { token, session_id: session.sessionId, seq: session.seq },
});

/** The heartbeat payload (op 1): the last sequence number, or null. */
export const heartbeatText = (seq: number | null): string => `{"op":1,"d":${seq === null ? 'null' : seq}}`;
