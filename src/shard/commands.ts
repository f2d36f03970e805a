import { encodePayload } from '../gateway/encode.js';
import { DisclusterError } from '../gateway/errors.js';
import type { CommandLimiter } from './limiter.js';
import type { CommandRequest, UserOpcode } from './types.js';

const USER_OPCODES: ReadonlySet<number> = new Set<UserOpcode>([3, 4, 8, 31]);

/**
 * Checks and encodes a user command, then queues it on the limiter. A malformed command or one
 * over 4096 bytes is refused at once through `settle`; nothing is thrown.
 */
export const submitCommand = (request: CommandRequest, limiter: CommandLimiter): void => {
  const settle = typeof request?.settle === 'function' ? request.settle : undefined;
  const command: unknown = request?.command;
  if (typeof command !== 'object' || command === null || !USER_OPCODES.has((command as { op: number }).op)) {
    settle?.({
      ok: false,
      error: new DisclusterError('COMMAND_REJECTED', 'a command must be { op, d } with op 3 (presence), 4 (voice state), 8 (request guild members) or 31 (request soundboard sounds)'),
    });
    return;
  }
  const { op, d } = command as { op: number; d: unknown };
  const encoded = encodePayload({ op, d });
  if (encoded._tag === 'Left') settle?.({ ok: false, error: encoded.left });
  else limiter.send('user', encoded.right, settle);
};
