import * as E from 'fp-ts/lib/Either.js';
import { type Observable, Subject } from 'rxjs';
import { DisclusterError, type ErrorCode } from '../gateway/errors.js';
import type { IdentifyQueue, SessionSnapshot, ShardCommand } from '../shard/types.js';
import type { HandoverLedger } from '../reshard/ledger.js';
import type { FleetReshardPlan } from '../reshard/crossing.js';
import { reshardBudgetMargin } from '../reshard/reshard.js';
import { decodeMessage, TO_CONTROL_LIMITS } from './decode.js';
import { acknowledgeForwards } from './forward-acks.js';
import { createIdentifyBroker } from './identify-broker.js';
import { createLedgerBroker } from './ledger-broker.js';
import type { FleetPrepareOptions } from './fleet-member.js';
import { createRequests } from './requests.js';
import type { StartMessage, ToClusterMessage } from './to-cluster.js';
import { TO_CONTROL, type ToControlMessage, type ToControlOf } from './to-control.js';
import type { Transport } from './transport.js';

/** CONTROL's handle on one running cluster. */
export interface ClusterHandle {
  /** Every validated message from the cluster, in order; completes when it exits. */
  readonly messages$: Observable<ToControlMessage>;
  /** Every message sent to the cluster, for logs: the token of `start` is replaced by `'[redacted]'`; `forward-read` acknowledgements and `ledger-verdicts` are left out. */
  readonly sent$: Observable<unknown>;
  /** Messages from the cluster that failed validation (`PROTOCOL_INVALID`); they are not in `messages$`. */
  readonly protocolErrors$: Observable<DisclusterError>;
  /** The `ready` message (check `failed`); rejects if `start` was refused or the cluster exited first. */
  readonly ready: Promise<ToControlOf<'ready'>>;
  /** Sends a gateway command through a shard; rejects with the cluster's reason. */
  command(shardId: number, payload: ShardCommand): Promise<void>;
  /** The cluster's `stats` reply. */
  stats(): Promise<ToControlOf<'stats'>>;
  /** The `pong` reply (with the cluster's event-loop lag). */
  ping(): Promise<ToControlOf<'pong'>>;
  /**
   * Asks the cluster to change its layout without downtime (`cluster.reshard`, the `reshard`
   * message). Resolves with the cluster's report once the new set has taken over; rejects with the
   * cluster's reason (its error code: `RESHARD_REFUSED`, `RESHARD_ABORTED`, `CLUSTER_SHUT_DOWN`), the old
   * layout still running. `timeoutMs` (default 30 minutes: a large bot identifies for minutes)
   * only stops waiting; the cluster's own timeouts end a reshard that cannot finish. In control
   * mode CONTROL's identify queue holds the budget: a reshard it cannot pay for is refused here
   * (`RESHARD_REFUSED`) before anything is sent.
   */
  reshard(layout: ReshardLayout, options?: { readonly timeoutMs?: number }): Promise<ReshardReply>;
  /**
   * Phase 1 of a reshard driven from outside (`reshardFleet`; the `reshard-prepare` message): the
   * cluster opens the new shards and resolves once every one is ready; rejects as `reshard` does
   * (refused up front when CONTROL's identify queue cannot pay). `fleet` names the cluster in a fleet
   * plan: its crossing guilds then go through the cluster's handover ledger.
   */
  reshardPrepare(layout: ReshardLayout, options?: FleetPrepareOptions): Promise<void>;
  /** Phase 2 (`reshard-switch`): the prepared set takes over `dispatch$`. */
  reshardSwitch(): Promise<void>;
  /** Phase 3 (`reshard-retire`): the old shards close (1000) after the match window; resolves with the report. */
  reshardRetire(options?: { readonly timeoutMs?: number }): Promise<ReshardReply>;
  /** Abort (`reshard-abort`): the set being prepared is dropped, the old layout runs on. */
  reshardAbort(): Promise<void>;
  /** Closes every shard and resolves with the sessions (with `keepSessions`, resumable); the cluster then exits. */
  shutdown(options?: { readonly keepSessions?: boolean }): Promise<SessionSnapshot[]>;
  /** Sends anything as is, valid or not (for tests of the protocol). */
  raw(message: unknown): void;
  /** Closes CONTROL's end of the channel, as if CONTROL died: the cluster shuts down and exits. */
  disconnect(): void;
  /**
   * Resolves, once the cluster's process or thread has ended, with the sessions it kept when it
   * stopped: those of its `stopped` reply, or of `sessions-kept` when its process stopped on
   * SIGTERM / SIGINT unasked; `[]` when it kept none (a crash, a kill, a shutdown without
   * `keepSessions`). Never rejects: a CONTROL being stopped awaits it to persist the sessions.
   */
  readonly sessions: Promise<SessionSnapshot[]>;
  /** Resolves with the exit code once the cluster's process or thread has ended. */
  readonly exited: Promise<number>;
  /** Ends the cluster at once (SIGKILL, or `terminate()` for a worker). */
  kill(): void;
}

/** A layout to reshard to: the bot's new shard count and the ids this cluster runs. */
export interface ReshardLayout {
  readonly totalShards: number;
  readonly shardIds: readonly number[];
}

/** The `resharded` reply without its envelope: the cluster's `ReshardReport`. */
export type ReshardReply = Omit<ToControlOf<'resharded'>, 'type' | 'nonce'>;

/** How long `reshard` waits by default: 30 minutes. */
export const RESHARD_TIMEOUT_MS = 30 * 60_000;

/** What `createClusterHandle` needs of the spawned process or thread. */
export interface HandleOptions {
  readonly transport: Transport;
  /** The `start` message to send once the cluster said `spawned`. */
  readonly start: StartMessage;
  /** Leases for `identify-request`, when `start.identify` is `'control'`. */
  readonly identifyQueue: IdentifyQueue | null;
  /** The ledger answering `ledger-offer` (shared by every cluster of the fleet); null: offers are answered `failed`. */
  readonly handoverLedger?: HandoverLedger | null;
  readonly exited: Promise<number>;
  readonly kill: () => void;
  readonly disconnect: () => void;
  /** Reply timeout of every request (ms). */
  readonly requestTimeoutMs: number;
}

const COMMAND_CODES: ReadonlySet<string> = new Set<ErrorCode>(['COMMAND_REJECTED', 'SHARD_UNAVAILABLE', 'ENCODE_TOO_LARGE', 'ENCODE_INVALID']);

/**
 * Library error codes a failed reshard may carry in `error.cause` (anything else becomes
 * `PROTOCOL_INVALID`, so a cluster cannot make CONTROL raise an arbitrary code).
 */
const RESHARD_CODES: ReadonlySet<string> = new Set<ErrorCode>(['RESHARD_REFUSED', 'RESHARD_ABORTED', 'CLUSTER_SHUT_DOWN']);

/** The error a refused `reshard` rejects with: the cluster's code when it is one a reshard may have. */
const reshardRefusal = (message: ToControlOf<'error'>): DisclusterError => {
  const code = message.cause !== undefined && RESHARD_CODES.has(message.cause) ? (message.cause as ErrorCode) : 'PROTOCOL_INVALID';
  return new DisclusterError(code, `the cluster refused the reshard (${message.code}): ${message.message}`);
};

/**
 * Why `queue` cannot pay for a reshard to `shards` new shards (one identify each plus the margin
 * the cluster also keeps), or null when it can or does not count (a queue without `remaining`).
 */
export const budgetShortfall = (queue: IdentifyQueue | null, shards: number): string | null => {
  const remaining = (queue as { readonly remaining?: unknown } | null)?.remaining;
  const need = shards + reshardBudgetMargin(shards);
  return typeof remaining === 'number' && remaining < need ? `${shards} new shards need ${need} identifies (with a margin); CONTROL's identify queue has ${remaining} left` : null;
};

/** A fleet layout as the protocol carries it (fresh arrays). */
const wireFleetLayout = (layout: FleetReshardPlan['from']) => ({
  totalShards: layout.totalShards,
  clusters: Object.fromEntries(Object.entries(layout.clusters).map(([id, ids]) => [id, [...ids]])),
});

/** Runs CONTROL's end of the protocol over a transport: start on `spawned`, replies by nonce, identify leases. */
export const createClusterHandle = (options: HandleOptions): ClusterHandle => {
  const { transport, start, requestTimeoutMs } = options;
  const messages$ = new Subject<ToControlMessage>();
  const sent$ = new Subject<unknown>();
  const protocolErrors$ = new Subject<DisclusterError>();
  const requests = createRequests();
  const send = (message: ToClusterMessage | unknown) => {
    sent$.next(message === start ? { ...start, token: '[redacted]' } : message);
    transport.send(message);
  };
  const broker = options.identifyQueue ? createIdentifyBroker(options.identifyQueue, send) : null;
  // verdicts are housekeeping, one or two per event-loop turn of a reshard: kept out of `sent$`
  const ledgerBroker = createLedgerBroker(options.handoverLedger ?? null, (message) => transport.send(message));
  let readyState: { resolve(m: ToControlOf<'ready'>): void; reject(e: Error): void } | null = null;
  const ready = new Promise<ToControlOf<'ready'>>((resolve, reject) => (readyState = { resolve, reject }));
  ready.catch(() => {}); // a caller that never awaits `ready` must not get an unhandled rejection

  /** The sessions of the last `stopped` or `sessions-kept`, for `sessions`. */
  let kept: SessionSnapshot[] = [];
  const onMessage = (message: ToControlMessage) => {
    if (message.type === 'stopped' || message.type === 'sessions-kept') kept = message.sessions;
    messages$.next(message);
    if (requests.settle(message)) return;
    switch (message.type) {
      case 'spawned':
        return send(start);
      case 'ready':
        return readyState?.resolve(message);
      case 'identify-request':
        return broker?.request(message.shardId, message.nonce);
      case 'identify-sent':
        return broker?.sent(message.nonce);
      case 'identify-done':
        return broker?.done(message.nonce);
      case 'ledger-offer':
        return ledgerBroker.offer(message.batchId, message.side, message.keys);
      case 'error':
        if (message.about === 'start') readyState?.reject(new DisclusterError('PROTOCOL_INVALID', `the cluster refused start (${message.code}): ${message.message}`));
    }
  };

  // acknowledgements are housekeeping, several a second: kept out of `sent$`
  const acks = acknowledgeForwards((message) => transport.send(message));
  const inbound = transport.messages$.subscribe((raw) => {
    acks.taken(raw);
    const decoded = decodeMessage(TO_CONTROL, raw, TO_CONTROL_LIMITS);
    if (E.isRight(decoded)) onMessage(decoded.right as ToControlMessage);
    else protocolErrors$.next(new DisclusterError('PROTOCOL_INVALID', `invalid message from the cluster (${decoded.left.code}): ${decoded.left.message}`));
  });

  const sessions = options.exited.then(
    () => kept,
    () => kept,
  );
  void options.exited.then((code) => {
    inbound.unsubscribe();
    acks.stop();
    broker?.releaseAll();
    ledgerBroker.close();
    const gone = new DisclusterError('CONTROL_EXITED', `the cluster exited with code ${code}`);
    requests.failAll(gone);
    readyState?.reject(gone);
    for (const subject of [messages$, sent$, protocolErrors$]) subject.complete();
  });

  return {
    messages$: messages$.asObservable(),
    sent$: sent$.asObservable(),
    protocolErrors$: protocolErrors$.asObservable(),
    ready,
    async command(shardId, payload) {
      const reply = await requests.request('command-result', (nonce) => send({ type: 'command', shardId, payload, nonce }), requestTimeoutMs, 'command');
      if (!reply.ok) throw new DisclusterError(COMMAND_CODES.has(reply.code) ? (reply.code as ErrorCode) : 'COMMAND_REJECTED', reply.message);
    },
    stats: () => requests.request('stats', (nonce) => send({ type: 'stats', nonce }), requestTimeoutMs, 'stats'),
    ping: () => requests.request('pong', (nonce) => send({ type: 'ping', nonce }), requestTimeoutMs, 'ping'),
    async reshard(layout, { timeoutMs = RESHARD_TIMEOUT_MS } = {}) {
      // In control mode the budget is CONTROL's queue's: the cluster cannot see it, so check it here.
      const shortfall = budgetShortfall(options.identifyQueue, layout.shardIds.length);
      if (shortfall !== null) throw new DisclusterError('RESHARD_REFUSED', `reshard refused by CONTROL: ${shortfall}`);
      const build = (nonce: number) => send({ type: 'reshard', totalShards: layout.totalShards, shardIds: [...layout.shardIds], nonce });
      const { type: _type, nonce: _nonce, ...report } = await requests.request('resharded', build, timeoutMs, 'reshard', reshardRefusal);
      return report;
    },
    async reshardPrepare(layout, { fleet, timeoutMs = RESHARD_TIMEOUT_MS } = {}) {
      const shortfall = budgetShortfall(options.identifyQueue, layout.shardIds.length);
      if (shortfall !== null) throw new DisclusterError('RESHARD_REFUSED', `reshard refused by CONTROL: ${shortfall}`);
      const wireFleet = fleet === undefined ? {} : { fleet: { clusterId: fleet.clusterId, from: wireFleetLayout(fleet.plan.from), to: wireFleetLayout(fleet.plan.to) } };
      const build = (nonce: number) => send({ type: 'reshard-prepare', totalShards: layout.totalShards, shardIds: [...layout.shardIds], ...wireFleet, nonce });
      await requests.request('reshard-phase', build, timeoutMs, 'reshard-prepare', reshardRefusal);
    },
    async reshardSwitch() {
      await requests.request('reshard-phase', (nonce) => send({ type: 'reshard-switch', nonce }), requestTimeoutMs, 'reshard-switch', reshardRefusal);
    },
    async reshardRetire({ timeoutMs = RESHARD_TIMEOUT_MS } = {}) {
      const { type: _type, nonce: _nonce, ...report } = await requests.request('resharded', (nonce) => send({ type: 'reshard-retire', nonce }), timeoutMs, 'reshard-retire', reshardRefusal);
      return report;
    },
    async reshardAbort() {
      await requests.request('reshard-phase', (nonce) => send({ type: 'reshard-abort', nonce }), requestTimeoutMs, 'reshard-abort', reshardRefusal);
    },
    async shutdown({ keepSessions = false } = {}) {
      const stopped = await requests.request('stopped', (nonce) => send({ type: 'shutdown', keepSessions, nonce }), requestTimeoutMs, 'shutdown');
      return stopped.sessions;
    },
    raw: send,
    disconnect: options.disconnect,
    sessions,
    exited: options.exited,
    kill: options.kill,
  };
};
