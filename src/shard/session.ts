import { classifyClose } from '../gateway/close-codes.js';
import type { Compression } from '../gateway/decoder.js';
import type { DisclusterError } from '../gateway/errors.js';
import { GATEWAY_VERSION } from '../gateway/opcodes.js';
import type { ShardFatalKind } from './types.js';

/** The live session of a shard, as the shard keeps it between connections. */
export interface LiveSession {
  readonly sessionId: string;
  readonly resumeUrl: string;
  seq: number;
}

/** Why one connection ended. */
export type ConnectionEnd =
  | { readonly type: 'closed'; readonly code: number }
  | { readonly type: 'reconnect-requested' }
  | { readonly type: 'invalid-session'; readonly resumable: boolean }
  | { readonly type: 'zombie' }
  | { readonly type: 'hello-timeout' }
  | { readonly type: 'ready-timeout' }
  | { readonly type: 'decode-error'; readonly error: DisclusterError }
  /** A message the protocol cannot do without could not be read; `repeated`: the same as last time (unreadable.ts). */
  | { readonly type: 'unreadable'; readonly what: 'Hello' | 'READY' | 'RESUMED'; readonly detail: string; readonly repeated: boolean }
  | { readonly type: 'identify-refused'; readonly error: DisclusterError }
  | { readonly type: 'identify-error' }
  | { readonly type: 'stopped'; readonly keepSession: boolean };

/** What the shard does next. */
export type NextStep =
  | { readonly type: 'resume' }
  | { readonly type: 'identify'; readonly lost: string | null; readonly afterInvalidSession?: true }
  | { readonly type: 'fatal'; readonly code: number | null; readonly reason: string; readonly kind: ShardFatalKind }
  | { readonly type: 'stop' };

/** After this many resumes in a row that never reached RESUMED, the shard identifies instead. */
export const MAX_RESUME_TRIES = 3;

/**
 * Decides the next step after a connection ends, by Discord's rules: resumable ends resume
 * when there is a session, session-ending ones identify (reporting the loss), fatal codes stop.
 */
export const nextStep = (end: ConnectionEnd, hasSession: boolean, failedResumes: number): NextStep => {
  const resumeOrIdentify = (why: string): NextStep =>
    !hasSession ? { type: 'identify', lost: null } : failedResumes >= MAX_RESUME_TRIES ? { type: 'identify', lost: why } : { type: 'resume' };
  switch (end.type) {
    case 'stopped':
      return { type: 'stop' };
    case 'identify-refused':
      return { type: 'fatal', code: null, reason: end.error.message, kind: 'identify-budget' };
    case 'unreadable':
      if (end.repeated) return { type: 'fatal', code: null, reason: `the gateway's ${end.what} could not be read twice in a row: ${end.detail}`, kind: 'unreadable' };
      return resumeOrIdentify('resume failed repeatedly');
    case 'invalid-session':
      // Discord: after an invalid session, wait a random 1–5 s before identifying again.
      return end.resumable
        ? resumeOrIdentify('resume failed repeatedly')
        : { type: 'identify', lost: hasSession ? 'invalid session (op 9)' : null, afterInvalidSession: true };
    case 'closed': {
      const info = classifyClose(end.code);
      if (info.action === 'fatal') return { type: 'fatal', code: end.code, reason: info.reason, kind: info.kind ?? 'auth' };
      if (info.action === 'reidentify') return { type: 'identify', lost: hasSession ? `closed ${end.code}: ${info.reason}` : null };
      return resumeOrIdentify('resume failed repeatedly');
    }
    default:
      return resumeOrIdentify('resume failed repeatedly');
  }
};

/** The gateway URL with the query Discord expects. */
export const gatewayUrl = (base: string, compression: Compression): string => {
  // every shard of a cluster asks for the same one or two URLs: keep the last answer
  if (lastGatewayUrl !== null && lastGatewayUrl.base === base && lastGatewayUrl.compression === compression) return lastGatewayUrl.url;
  const url = buildGatewayUrl(base, compression);
  lastGatewayUrl = { base, compression, url };
  return url;
};
let lastGatewayUrl: { readonly base: string; readonly compression: Compression; readonly url: string } | null = null;

const buildGatewayUrl = (base: string, compression: Compression): string => {
  const url = new URL(base);
  url.searchParams.set('v', String(GATEWAY_VERSION));
  url.searchParams.set('encoding', 'json');
  if (compression === 'none') url.searchParams.delete('compress');
  else url.searchParams.set('compress', compression);
  return url.toString();
};

/** True for a URL a shard may connect to (the gateway URL, a `resume_gateway_url`): a `ws:` or `wss:` URL. */
export const isSafeResumeUrl = (url: string): boolean => {
  if (url === lastSafeUrl) return true;
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== 'ws:' && protocol !== 'wss:') return false;
    lastSafeUrl = url;
    return true;
  } catch {
    return false;
  }
};
/** The last URL found safe: resumes after an outage all bring the same one or two. */
let lastSafeUrl: string | null = null;
