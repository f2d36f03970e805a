import test from 'ava';
import { filter, firstValueFrom, tap } from 'rxjs';
import { shard } from '../../src/shard/shard.js';
import type { ShardEvent } from '../../src/shard/types.js';
import type { SessionRecord } from '../../src/testing/index.js';
import { shardEmulator, shardOptions, startShard } from '../shard/setup.js';
import { SoakLedger } from './ledger.js';

const TOKEN = 'unannounced-session-token';

test("a session made for an Identify whose READY never reached the client: the client identifies again, its dispatches are missing and explained as the unannounced session's, none silent", async (t) => {
  const gw = await shardEmulator(t, TOKEN, { reconnectGraceMs: 1000 });
  const ledger = new SoakLedger(1);
  const run = startShard(t, shard(shardOptions(TOKEN, gw.url)));
  const announced: string[] = [];
  const feed = (e: ShardEvent) => {
    if (e.type === 'session' && e.session !== null && !announced.includes(e.session.sessionId)) {
      announced.push(e.session.sessionId);
      ledger.announce(e.session.sessionId);
    }
    if (e.type === 'session-lost') ledger.lose(e.sessionId, e.lastSeq);
    if (e.type === 'dispatch' && e.t === 'MESSAGE_CREATE') ledger.receive(0, (e.d as { n: number }).n);
  };
  /** The first session the emulator makes after those in `known`. */
  const created = (known: readonly string[]) => gw.waitFor((r): r is SessionRecord => r.kind === 'session' && r.event === 'created' && !known.includes(r.sessionId));
  const send = () => {
    const sessionId = gw.sessions.at(-1)!.id;
    const n = ledger.nextOf(0);
    ledger.sent(0, sessionId, gw.dispatch(0, 'MESSAGE_CREATE', { n }));
    return n;
  };
  const received = (n: number) => run.when((e) => e.type === 'dispatch' && e.t === 'MESSAGE_CREATE' && (e.d as { n: number }).n === n);

  await run.when((e) => e.type === 'status' && e.status === 'ready');
  // the ledger is fed from the run's events at the end, in their order, as the soak feeds it live
  send();
  await received(send());

  // The next connection goes silent as it opens: it takes the Identify and makes the session, but
  // no READY (and no ACK) leaves it, so the client closes it as a zombie and identifies again.
  const silenced = firstValueFrom(gw.records$.pipe(filter((r) => r.kind === 'open'), tap((r) => gw.zombie({ connectionId: r.connectionId }, true))));
  gw.invalidate(0, false);
  await silenced;
  const first = gw.acceptedIdentifies[0]!.sessionId;
  const unannounced = await created([first]);
  for (let i = 0; i < 5; i++) send();
  const next = await created([first, unannounced.sessionId]);
  await run.when((e) => e.type === 'session' && e.session?.sessionId === next.sessionId);
  await received(send());

  for (const e of run.events) feed(e);
  t.false(announced.includes(unannounced.sessionId), 'the client never heard of the silent session');
  t.true(announced.includes(next.sessionId));
  t.like(ledger.tally(), { sent: 8, checked: 3, lostReported: 0, lostUnannounced: 5, lostSilently: 0, duplicated: 0, outOfOrder: 0, sessionsLost: 1 });
  t.is(gw.violations.length, 0);
});
