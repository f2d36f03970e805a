import { createHash } from 'node:crypto';

/** Keys longer than this many characters are sent to a shared ledger as a digest. */
export const LEDGER_KEY_MAX_LENGTH = 256;

/**
 * The form of a handover key a shared ledger stores and a message carries: the key itself when
 * short (a `rawDispatchKey` always is), else `!` and a SHA-1 of it with its length (a
 * `dispatchKey` of a large `d`). Every process computes the same form for the same key; `!`
 * starts no handover key (they start with an event name), so the forms never collide.
 */
export const ledgerKeyOf = (key: string): string =>
  key.length <= LEDGER_KEY_MAX_LENGTH ? key : `!${createHash('sha1').update(key).digest('base64')}:${key.length}`;
