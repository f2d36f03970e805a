/** How many times each marker (a MESSAGE_CREATE's `content`) was seen among `events`. */
export const markerCounts = (events: readonly { t: string; d: unknown }[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.t !== 'MESSAGE_CREATE') continue;
    const content = (e.d as { content?: string }).content ?? '';
    counts.set(content, (counts.get(content) ?? 0) + 1);
  }
  return counts;
};

/** Polls on the event loop until `condition` holds (no fixed sleep); false after `ms`. */
export const eventually = async (condition: () => boolean, ms = 15_000): Promise<boolean> => {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
};

/** Blocks this process's event loop for `ms`, as a starved machine does (the fault's length, not a wait). */
export const stall = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

/**
 * What a ledger outage during a fleet reshard may cost, checked: no marker lost, some copies sent
 * without the ledger's verdict (`fallbacks`), and markers seen twice only among those. Returns
 * how many were seen twice, for the log.
 */
export const expectAtLeastOnceByFallbacks = (
  t: { deepEqual(actual: unknown, expected: unknown, message?: string): unknown; true(actual: boolean, message?: string): unknown },
  markers: readonly string[],
  counts: ReadonlyMap<string, number>,
  sent: number,
  fallbacks: number,
): number => {
  t.deepEqual(markers.filter((m) => !counts.has(m)), [], `nothing lost (of ${sent})`);
  const repeated = [...counts.values()].filter((n) => n > 1).length;
  t.true(fallbacks > 0, 'copies went out without a verdict');
  t.true(repeated <= fallbacks, `repeats (${repeated}) only among the copies sent without a verdict (${fallbacks})`);
  return repeated;
};
