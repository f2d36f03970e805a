import * as E from 'fp-ts/lib/Either.js';
import { Subscription } from 'rxjs';
import { createCluster as createRealCluster, type Cluster } from '../cluster/cluster.js';
import type { ClusterOptions } from '../cluster/options.js';
import { STOP_DEADLINE_MS } from '../cluster/signal-stop.js';
import { isDisclusterError } from '../gateway/errors.js';
import type { GatewayPresenceUpdateData } from 'discord-api-types/v10';
import type { SessionSnapshot, ShardCommand } from '../shard/types.js';
import type { HandoverLedger } from '../reshard/ledger.js';
import { createPhaseHandler } from './bridge-phases.js';
import { clusterMessages, reshardedMessage, scrub } from './cluster-events.js';
import { PROTOCOL_VERSION } from './codec-fields.js';
import { decodeMessage, type Rejection, TO_CLUSTER_LIMITS } from './decode.js';
import { type Forwarder, forwardDispatches } from './forwarder.js';
import { startLagMonitor } from './lag.js';
import { createRemoteIdentifyQueue, type RemoteIdentifyQueue } from './remote-identify-queue.js';
import { createRemoteHandoverLedger } from './ledger-remote.js';
import { countCluster, type ClusterCounting } from '../counting/counting.js';
import { statsOf } from './stats.js';
import { type ReshardMessage, type StartMessage, TO_CLUSTER, type ToClusterMessage } from './to-cluster.js';
import type { ToControlMessage, ToControlOf } from './to-control.js';
import type { Transport } from './transport.js';

/** Options of `bridgeCluster`. */
export interface BridgeOptions {
  /** The channel to CONTROL. */
  readonly transport: Transport;
  /** Builds the cluster from `start` (default: `createCluster`); tests pass their own. */
  readonly createCluster?: (options: ClusterOptions) => Cluster;
  /** Reported in `spawned` (default `process.pid`). */
  readonly pid?: number;
  /** The ledger a fleet reshard (`reshard-prepare` with `fleet`) sends the crossing guilds' events through; default: the one CONTROL holds, over this channel (`ledger-offer` / `ledger-verdicts`). */
  readonly handoverLedger?: HandoverLedger;
}

/** A running bridge. */
export interface Bridge {
  /** Resolves once the cluster is shut down and the channel closed (after `shutdown`, or when CONTROL went away). */
  readonly done: Promise<void>;
  /**
   * The stop of a process that got `signal`: `stopping`, every shard closed with 4000 keeping its
   * session, `sessions-kept` with the snapshots, the channel closed. Resolves once that is done.
   */
  stopOnSignal(signal: GracefulSignal): Promise<void>;
  /** How long that stop may take: `start.stopDeadlineMs`, else `STOP_DEADLINE_MS`. */
  readonly stopDeadlineMs: number;
  /** The handover ledger CONTROL holds, reached over this channel (`ledger-offer` / `ledger-verdicts`); refuses once the bridge stops. */
  readonly handoverLedger: HandoverLedger;
}

/** A signal that stops a cluster process gracefully. */
export type GracefulSignal = ToControlOf<'sessions-kept'>['signal'];

/** Cluster options from a validated `start`. */
export const startToOptions = (m: StartMessage, identifyQueue: RemoteIdentifyQueue | null): ClusterOptions => ({
  token: m.token,
  intents: m.intents,
  shardIds: m.shardIds,
  totalShards: m.totalShards,
  gateway: m.gateway,
  ...(m.compression ? { compression: m.compression } : {}),
  // validated by PresenceCodec: status is one of the five literals of PresenceUpdateStatus
  ...(m.presence ? { presence: m.presence as GatewayPresenceUpdateData } : {}),
  ...(m.largeThreshold !== undefined ? { largeThreshold: m.largeThreshold } : {}),
  ...(m.sessions ? { sessions: m.sessions } : {}),
  ...(m.events ? { events: m.events } : {}),
  ...(m.timing ? { timing: m.timing } : {}),
  ...(identifyQueue ? { identifyQueue } : {}),
});

/**
 * Runs a cluster for CONTROL over any transport: announces itself with `spawned`, waits for
 * `start`, validates every message (a bad one gets an `error` reply and changes nothing), answers
 * requests by nonce, and shuts the cluster down on `shutdown` or when the channel closes.
 */
export const bridgeCluster = (options: BridgeOptions): Bridge => {
  const { transport } = options;
  const build = options.createCluster ?? createRealCluster;
  const lag = startLagMonitor();
  const startedAt = performance.now();
  let token: string | null = null;
  let clusterId = '';
  let cluster: Cluster | null = null;
  /** The cluster's counters for `stats` (dispatches by event, reconnects, lost sessions, fatal stops). */
  let counting: ClusterCounting | null = null;
  let queue: RemoteIdentifyQueue | null = null;
  /** Forwarding of `start.forward.dispatches`, bounded by CONTROL's `forward-read` acknowledgements. */
  let forwarder: Forwarder | null = null;
  let stopping: Promise<SessionSnapshot[]> | null = null;
  let stopDeadlineMs = STOP_DEADLINE_MS;
  const wiring: Subscription[] = [];
  let finish = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  const send = (message: ToControlMessage) => transport.send(message.type === 'dispatch' ? message : scrub(message, token));
  const refuse = (rejection: Rejection) => send({ type: 'error', ...rejection, message: rejection.message.slice(0, 4096) });
  const fail = (code: Rejection['code'], message: string, about: string, nonce?: number) =>
    refuse({ code, message, issues: [], about, ...(nonce === undefined ? {} : { nonce }) });
  const ledger = createRemoteHandoverLedger(send);

  const start = (m: StartMessage) => {
    if (cluster !== null || stopping !== null) return fail('already-started', 'the cluster was already started (or is stopping)', 'start');
    const remote = m.identify === 'control' ? createRemoteIdentifyQueue(send, m.gateway.maxConcurrency) : null;
    token = m.token;
    try {
      cluster = build(startToOptions(m, remote));
    } catch (error) {
      remote?.dispose();
      const reason = isDisclusterError(error) ? `${error.code}: ${error.message}` : 'the cluster could not be created';
      return refuse({ code: 'start-failed', message: reason.slice(0, 4096), issues: [], about: 'start', ...(isDisclusterError(error) ? { cause: error.code } : {}) });
    }
    queue = remote;
    clusterId = m.clusterId;
    if (m.stopDeadlineMs !== undefined) stopDeadlineMs = m.stopDeadlineMs;
    const running = cluster;
    const connectedAt = performance.now();
    wiring.push(clusterMessages(running, []).subscribe(send));
    if (m.forward !== undefined && m.forward.dispatches.length > 0) {
      const forwarding = forwardDispatches(running.dispatch$, { names: m.forward.dispatches, maxUnreadBytes: m.forward.maxUnreadBytes, send });
      forwarder = forwarding;
      wiring.push(new Subscription(() => forwarding.stop()));
    }
    const counted = countCluster(running);
    counting = counted;
    wiring.push(new Subscription(() => counted.stop()));
    running.connect().then(
      (ready) => send({ type: 'ready', shardIds: [...ready.shardIds], failed: [...ready.failed], elapsedMs: ready.elapsedMs }),
      (error: unknown) => {
        if (!isDisclusterError(error, 'CLUSTER_FATAL')) return;
        send({ type: 'ready', shardIds: [], failed: [...m.shardIds], elapsedMs: performance.now() - connectedAt });
      },
    );
  };

  const command = (m: ToClusterMessage & { type: 'command' }) => {
    if (cluster === null) return fail('not-started', 'no cluster is running: send start first', 'command', m.nonce);
    cluster.send(m.shardId, m.payload as ShardCommand).then(
      () => send({ type: 'command-result', nonce: m.nonce, ok: true }),
      (error: unknown) => {
        const code = isDisclusterError(error) ? error.code : 'COMMAND_REJECTED';
        send({ type: 'command-result', nonce: m.nonce, ok: false, code, message: String((error as Error)?.message ?? error).slice(0, 4096) });
      },
    );
  };

  /** `reshard`: `cluster.reshard`, answered by `resharded` or an `error` carrying the cause's code (never a value from the request). */
  const reshard = (m: ReshardMessage) => {
    if (cluster === null || stopping !== null) return fail('not-started', 'no cluster is running: send start first', 'reshard', m.nonce);
    const running = cluster;
    void (async () => running.reshard({ totalShards: m.totalShards, shardIds: m.shardIds }))().then(
      (report) => send(reshardedMessage(m.nonce, report)),
      (error: unknown) => {
        const cause = isDisclusterError(error) ? { cause: error.code } : {};
        const reason = isDisclusterError(error) ? `${error.code}: ${error.message}` : 'the reshard failed with an internal error';
        refuse({ code: 'reshard-failed', message: reason.slice(0, 4096), issues: [], about: 'reshard', nonce: m.nonce, ...cause });
      },
    );
  };

  const phase = createPhaseHandler(send, refuse, options.handoverLedger ?? ledger);

  const stop = (keepSessions: boolean) => {
    stopping ??= (async () => {
      const sessions = cluster === null ? [] : await cluster.shutdown({ keepSessions }).catch(() => []);
      for (const subscription of wiring) subscription.unsubscribe();
      queue?.dispose();
      ledger.dispose();
      lag.stop();
      return sessions;
    })();
    return stopping;
  };

  const handle = (m: ToClusterMessage) => {
    switch (m.type) {
      case 'start':
        return start(m);
      case 'identify-grant':
        return queue?.grant(m.nonce);
      case 'identify-refused':
        return queue?.refuse(m.nonce, m.code, m.message);
      case 'command':
        return command(m);
      case 'stats':
        return send(statsOf(m.nonce, clusterId, cluster, lag.read(), performance.now() - startedAt, counting, forwarder?.counts() ?? null));
      case 'ping':
        return send({ type: 'pong', nonce: m.nonce, eventLoopLagMs: lag.read() });
      case 'reshard':
        return reshard(m);
      case 'reshard-prepare':
      case 'reshard-switch':
      case 'reshard-retire':
      case 'reshard-abort':
        if (cluster === null || stopping !== null) return fail('not-started', 'no cluster is running: send start first', m.type, m.nonce);
        return phase(cluster, m);
      case 'forward-read':
        return forwarder?.read(m.read);
      case 'ledger-verdicts':
        return ledger.settle(m);
      case 'shutdown':
        void stop(m.keepSessions).then(async (sessions) => {
          send({ type: 'stopped', nonce: m.nonce, sessions: [...sessions] });
          await transport.close();
          finish();
        });
    }
  };

  send({ type: 'spawned', protocol: PROTOCOL_VERSION, pid: options.pid ?? process.pid });
  const inbound = transport.messages$.subscribe({
    next: (raw) => {
      const decoded = decodeMessage(TO_CLUSTER, raw, TO_CLUSTER_LIMITS);
      if (E.isLeft(decoded)) return refuse(decoded.left);
      try {
        handle(decoded.right as ToClusterMessage);
      } catch (error) {
        refuse({ code: 'invalid', message: `the message could not be handled: ${isDisclusterError(error) ? error.code : 'internal error'}`, issues: [] });
      }
    },
    complete: () => {
      void stop(false).then(finish);
    },
  });
  void done.then(() => inbound.unsubscribe());
  const stopOnSignal = async (signal: GracefulSignal) => {
    send({ type: 'stopping', signal, deadlineMs: stopDeadlineMs });
    const sessions = await stop(true);
    send({ type: 'sessions-kept', signal, sessions: [...sessions] });
    await transport.close();
    finish();
  };
  return {
    done,
    stopOnSignal,
    handoverLedger: ledger,
    get stopDeadlineMs() {
      return stopDeadlineMs;
    },
  };
};
