/** A deadline for a ledger's answer; `cancel()` once the answer came. */
export interface LedgerDeadline {
  cancel(): void;
}

/**
 * Calls `expire` once `ms` have passed, unless cancelled first, and only after one more poll
 * phase: a process that was stalled (a busy machine) runs its expired timers before it reads its
 * sockets and channels, so an answer that arrived during the stall is read, and cancels this,
 * before the offer is given up on for nothing.
 */
export const ledgerDeadline = (ms: number, expire: () => void): LedgerDeadline => {
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const timer = setTimeout(() => (immediate = setImmediate(expire)), ms);
  return {
    cancel: () => {
      clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
    },
  };
};
