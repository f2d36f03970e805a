import { distinctUntilChanged, map, Observable, skip } from 'rxjs';
import { releaseClient, resolveClient } from '../redis/client.js';
import { trackHealth } from '../redis/health.js';
import { AckBatcher } from './consume-acks.js';
import { claimIdleEntries, type RawEntries } from './consume-claim.js';
import { InFlightLedger } from './consume-in-flight.js';
import { pruneIdleConsumers, pruneIdleMs } from './consume-prune.js';
import { type ConsumableEvent, type ConsumedDispatch, type ConsumeDispatchesOptions, type ConsumerReport, type ConsumerStats, resolveConsumeOptions } from './consume-options.js';
import { Backoff, Wake } from './consume-wake.js';
import { decideDelivery, readCountPerStream } from './dead-letter-decision.js';
import { sendToDeadLetter } from './dead-letter.js';
import { decodeEntry, type EntryFields } from './entry-decode.js';

/** The Observable `consumeDispatches` returns, with its counts. */
export type DispatchConsumer<K extends ConsumableEvent> = Observable<ConsumedDispatch<K>> & {
  /** Counts over every subscription so far (in flight: now). */
  stats(): ConsumerStats;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Reads dispatches from Redis Streams (as `publishDispatches` or @discordjs/brokers write them)
 * in a consumer group, for stateless workers. Cold: subscribing creates the groups (XGROUP CREATE
 * … MKSTREAM; an existing group is kept) and starts one loop that reads and, every
 * `claimIdleMs / 2`, claims; unsubscribing stops it, sends the acks already given and closes the
 * read connection (and the client, when it was created from a URL or options).
 *
 * - **At least once.** An entry is acknowledged only by its `ack()`. One that is not acked
 *   within `claimIdleMs` (its consumer died, or its handler hangs) is claimed by a live consumer
 *   of the group and delivered again; so a worker may see an entry twice: drop repeats by `origin`.
 * - **Dead letters.** An entry is delivered at most `maxDeliveries` times, then moved to the
 *   dead-letter stream with its bytes, source stream, id and count, and acked there. An entry that
 *   does not decode goes there at once. Both are counted and reported; neither stops the consumer.
 * - **Bounded.** At most `maxInFlight` entries read and not acked (lease not run out) at once:
 *   the next read asks only for as many entries as there are free places, so a slow worker holds
 *   the consumer back instead of filling its memory.
 * - **Redis away.** Reads wait for the reconnect (no busy loop); a failing read backs off
 *   100 ms → 5 s, reported through `onReport`.
 */
export const consumeDispatches = <K extends ConsumableEvent>(options: ConsumeDispatchesOptions<K>): DispatchConsumer<K> => {
  const o = resolveConsumeOptions(options);
  const counts = { delivered: 0, acked: 0, claimed: 0, deadLettered: 0, undecodable: 0, errors: 0 };
  const ledgers = new Set<InFlightLedger>();
  const report = (event: ConsumerReport) => {
    try {
      o.onReport(event);
    } catch {
      // a throwing report callback must not stop the consumer
    }
  };

  const consumer$ = new Observable<ConsumedDispatch<K>>((subscriber) => {
    const main = resolveClient(options.redis);
    const commands = main.redis;
    const quiet = () => {}; // errors are reported through trackHealth and onReport; this keeps ioredis from printing them
    if (main.owned) commands.on('error', quiet);
    const reader = commands.duplicate();
    reader.on('error', quiet);
    const ledger = new InFlightLedger(o.maxInFlight, o.claimIdleMs);
    const acks = new AckBatcher(commands, o.group);
    ledgers.add(ledger);
    const wake = new Wake(); // an ack freed a place
    const pause = new Wake(); // the backoff after a failure
    const backoff = new Backoff();
    let closed = false;
    let groupsReady = false;

    const health = trackHealth(reader);
    const healthSubscription = health.health$
      .pipe(
        map((h) => ({ state: h.redis, reason: h.lastError })),
        distinctUntilChanged((a, b) => a.state === b.state),
        skip(1),
      )
      .subscribe(({ state, reason }) => report(state === 'down' && reason !== null ? { type: 'redis', state, reason } : { type: 'redis', state }));

    const bury = (key: string, id: string, data: Buffer, deliveries: number, reason: 'max-deliveries' | 'undecodable', detail?: string) => {
      sendToDeadLetter(commands, o.deadKey, o.group, { stream: key, id, data, deliveries }).then(
        () => {
          counts.deadLettered++;
          if (reason === 'undecodable') counts.undecodable++;
          report(detail === undefined ? { type: 'dead-letter', stream: key, id, deliveries, reason } : { type: 'dead-letter', stream: key, id, deliveries, reason, detail });
        },
        // Still pending: claimed and tried again after claimIdleMs.
        (error: unknown) => report({ type: 'error', during: 'dead-letter', message: messageOf(error) }),
      );
    };

    const handle = (key: string, event: string, id: string, fields: EntryFields, deliveries: number) => {
      if (closed) return;
      const decoded = decodeEntry(fields, key, id, event);
      const decision = decideDelivery(decoded.ok, deliveries, o.maxDeliveries);
      if (decision.action === 'dead-letter') return bury(key, id, decoded.raw, deliveries, decision.reason, decoded.ok ? undefined : decoded.reason);
      if (!decoded.ok) return; // decideDelivery never delivers an undecodable entry
      const place = `${key}\n${id}`;
      ledger.delivered(place);
      counts.delivered++;
      let acking: Promise<void> | undefined;
      subscriber.next({
        shardId: decoded.shardId,
        payload: decoded.payload as unknown as ConsumedDispatch<K>['payload'],
        origin: decoded.origin,
        data: decoded.data,
        stream: key,
        id,
        deliveries,
        ack: () =>
          (acking ??= acks.ack(key, id).then(
            () => {
              counts.acked++;
              if (ledger.acked(place)) wake.wake();
            },
            (error: unknown) => {
              if (ledger.acked(place)) wake.wake(); // still pending in Redis: claimed again later
              throw error;
            },
          )),
      });
    };

    const createGroups = async () => {
      for (const key of o.keys) {
        try {
          await commands.xgroup('CREATE', key, o.group, o.startId, 'MKSTREAM');
        } catch (error) {
          if (!messageOf(error).startsWith('BUSYGROUP')) throw error;
        }
      }
    };

    const failed = async (during: 'read' | 'group', error: unknown) => {
      counts.errors++;
      if (messageOf(error).startsWith('NOGROUP')) groupsReady = false; // the stream or group was deleted: create it again
      const retryInMs = backoff.next();
      report({ type: 'error', during, message: messageOf(error), retryInMs });
      await pause.wait(retryInMs);
    };

    /** When the next claim pass is due (`Date.now()` ms): the loop runs it between two reads. */
    let nextClaimAt = Date.now() + o.claimEveryMs;
    const pruneAfterMs = pruneIdleMs(o.claimIdleMs, o.blockMs);

    const claimIfDue = async () => {
      if (Date.now() < nextClaimAt) return;
      nextClaimAt = Date.now() + o.claimEveryMs;
      try {
        await claimIdleEntries(commands, o, ledger, (...entry) => {
          counts.claimed++;
          handle(...entry);
        });
        for (const key of o.keys) {
          const removed = await pruneIdleConsumers(commands, key, o.group, o.consumer, pruneAfterMs);
          if (removed > 0) report({ type: 'consumers-removed', stream: key, count: removed });
        }
      } catch (error) {
        if (closed) return;
        counts.errors++;
        report({ type: 'error', during: 'claim', message: messageOf(error) }); // tried again at the next pass
      }
    };

    const readOnce = async () => {
      const untilClaim = Math.max(1, nextClaimAt - Date.now());
      const perStream = readCountPerStream(ledger.free, o.batchSize, o.keys.length);
      if (perStream === 0) {
        // Wait for an ack, or for the oldest lease to run out (a claim needs free places too).
        await wake.wait(ledger.nextExpiryIn() ?? undefined);
        return;
      }
      const places = ledger.reserve(perStream * o.keys.length);
      try {
        // BLOCK no longer than the next claim pass is due: claims and reads share one loop, so they never race for places.
        const block = String(Math.min(o.blockMs, untilClaim));
        const reply = (await reader.callBuffer('XREADGROUP', 'GROUP', o.group, o.consumer, 'COUNT', String(perStream), 'BLOCK', block, 'STREAMS', ...o.keys, ...o.keys.map(() => '>'))) as [Buffer, RawEntries][] | null;
        backoff.reset();
        for (const [name, entries] of reply ?? []) {
          const key = name.toString('utf8');
          const event = o.events[o.keys.indexOf(key)] ?? key.slice(o.keyPrefix.length);
          for (const entry of entries) if (entry !== null) handle(key, event, entry[0].toString('latin1'), entry[1] ?? [], 1);
        }
      } finally {
        ledger.unreserve(places);
      }
    };

    const loop = async () => {
      while (!closed) {
        try {
          if (!groupsReady) {
            await createGroups();
            groupsReady = true;
            backoff.reset();
          }
          await claimIfDue();
          if (closed) return;
          await readOnce();
        } catch (error) {
          if (closed) return;
          await failed(groupsReady ? 'read' : 'group', error);
        }
      }
    };

    void loop();

    return () => {
      closed = true;
      wake.close();
      pause.close();
      healthSubscription.unsubscribe();
      health.close();
      reader.disconnect();
      ledgers.delete(ledger);
      acks.flush(); // sent before the client's QUIT
      void releaseClient(main);
    };
  });

  const stats = (): ConsumerStats => ({ ...counts, inFlight: [...ledgers].reduce((sum, ledger) => sum + ledger.live, 0) });
  return Object.assign(consumer$, { stats });
};
