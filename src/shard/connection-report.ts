import { DisclusterError } from '../gateway/errors.js';
import type { ResolvedShardOptions } from './options.js';
import type { ConnectionEnd, LiveSession } from './session.js';

/** A session as the shard's public snapshot. */
export const snapshot = (session: LiveSession, options: ResolvedShardOptions) => ({
  sessionId: session.sessionId,
  seq: session.seq,
  resumeUrl: session.resumeUrl,
  shardId: options.shardId,
  totalShards: options.totalShards,
});

/** The close code and reason a `status` event gives for how a connection ended. */
export const describeEnd = (why: ConnectionEnd): { code?: number; reason: string } => {
  switch (why.type) {
    case 'closed':
      return { code: why.code, reason: `closed with code ${why.code}` };
    case 'decode-error':
    case 'identify-refused':
      return { reason: why.error.message };
    case 'unreadable':
      return { reason: `unreadable ${why.what}: ${why.detail}` };
    case 'invalid-session':
      return { reason: `invalid session (resumable: ${why.resumable})` };
    default:
      return { reason: why.type };
  }
};

/** The error for a READY the shard cannot use. */
export const invalidReady = () => new DisclusterError('DECODE_INVALID_FRAME', 'READY without session_id or resume_gateway_url');
/** The error for a Hello the shard cannot use. */
export const invalidHello = () => new DisclusterError('DECODE_INVALID_FRAME', 'Hello without a positive heartbeat_interval');
