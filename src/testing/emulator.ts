/**
 * `createEmulator`: a Discord gateway (API v10) on loopback for tests, demos and benchmarks.
 * One HTTP server serves `GET /gateway/bot` and takes WebSocket upgrades on `/` and `/resume`.
 * Rules, records and throughput figures: see README.md beside this file.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import * as faults from './gateway/faults.js';
import { stampNow, template } from './wire/frames.js';
import { GatewayCore } from './gateway/gateway.js';
import { closeOverfullShards } from './gateway/overfull.js';
import { addGuilds, dispatchRouted, fanOut, layoutIndex } from './gateway/guild-routing.js';
import type { Emulator } from './handle.js';
import { httpHandler } from './rest/http.js';
import { MessageMaker, startMarkerTraffic, type MarkerTraffic } from './traffic/markers.js';
import { resolveOptions, type EmulatorOptions } from './gateway/options.js';
import { RecordLog } from './log/record-log.js';
import { restHandle, RestRoutes } from './rest/rest.js';
import { ConnectionRefusals } from './gateway/refusal.js';
import { recommendedShards } from './world/sharding.js';
import type { GatewayPath } from './log/records.js';
import { prepareStorm } from './gateway/storm.js';
import { startStream, type StreamHandle } from './traffic/stream.js';
import { selfSignedCertificate } from './wire/tls.js';
import { createWorld } from './world/world.js';

/** How long `close()` waits for clients to answer the close frame before destroying sockets, ms. */
const CLOSE_GRACE_MS = 500;

/** Starts an emulator and resolves once it listens. */
export const createEmulator = async (options: EmulatorOptions = {}): Promise<Emulator> => {
  const opts = resolveOptions(options);
  const log = new RecordLog(opts.recordLimit);
  const world = createWorld(opts.guilds, opts.seed);
  let base = '';
  const certificate = options.tls === true ? await selfSignedCertificate(opts.host) : options.tls || undefined;
  const [wsScheme, httpScheme] = certificate ? ['wss', 'https'] : ['ws', 'http'];
  const core = new GatewayCore(opts, world, log, () => `${wsScheme}://${base}/resume`);
  const streams = new Set<StreamHandle | MarkerTraffic>();
  const messages = new MessageMaker(core, opts.seed);
  const shardsNow = (): number => recommendedShards(world.guilds.length, opts.recommendedGuildsPerShard, opts.shards);
  const rest = new RestRoutes({
    token: opts.token,
    rule: { limit: opts.restLimitCount, windowMs: opts.restLimitWindowMs },
    world,
    log,
    // to the shard owning the guild under every live shard count (a reshard's overlap included)
    deliver: (guildId, d) => gw.dispatchToGuild(guildId, 'MESSAGE_CREATE', d)[0]?.shardId,
  });
  const serve = (handler: Parameters<typeof createServer>[1] & {}) => (certificate ? createTlsServer(certificate, handler) : createServer(handler));
  const server = serve(
    httpHandler({
      token: opts.token,
      get shards() {
        return shardsNow();
      },
      maxConcurrency: opts.maxConcurrency,
      log,
      gatewayUrl: () => `${wsScheme}://${base}`,
      sessionStartLimit: () => core.startLimit.snapshot(performance.now()),
      rest,
    }),
  );
  const refusals = new ConnectionRefusals();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20, clientTracking: false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== '/' && url.pathname !== '/resume') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (refusals.refuse(socket)) return; // an outage on demand (refuseConnections)
    wss.handleUpgrade(req, socket, head, (ws) => {
      core.accept(ws, socket, url.pathname as GatewayPath, Object.fromEntries(url.searchParams));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: a cluster opening 1024+ sockets at once (max_concurrency 1024) would
    // otherwise overflow Node's default of 511 and see connections reset.
    server.listen(opts.port, opts.host, 4096, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  base = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;

  /** Waits for every open connection to close, destroying those still open after `graceMs`. */
  const awaitClosed = async (graceMs: number): Promise<void> => {
    const conns = [...core.connections.values()];
    const all = Promise.all(conns.map((c) => c.ended));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const c of conns) c.terminate();
    await all;
  };

  let closed: Promise<void> | undefined;
  const gw: Emulator = {
    url: `${wsScheme}://${base}`,
    resumeUrl: `${wsScheme}://${base}/resume`,
    httpUrl: `${httpScheme}://${base}`,
    certificate: certificate?.cert,
    port,
    options: opts,
    guilds: world.guilds,
    guildsOf: (shardId, numShards) => world.guildsOf(shardId, numShards),
    get records() {
      return log.records;
    },
    records$: log.observe(),
    get violations() {
      return log.violations;
    },
    get acceptedIdentifies() {
      return log.acceptedIdentifies;
    },
    get recommendedShards() {
      return shardsNow();
    },
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    get sessions() {
      return core.sessions.list().map((s) => ({
        id: s.id,
        shardId: s.shardId,
        numShards: s.numShards,
        intents: s.intents,
        seq: s.seq,
        live: s.connectionId !== undefined,
        connectionId: s.connectionId,
        buffered: s.buffered,
      }));
    },
    rest: restHandle(rest, () => `${gw.httpUrl}/api`),
    get connections() {
      return [...core.connections.values()].map((c) => ({
        id: c.id,
        shardId: c.shardId,
        numShards: c.session?.numShards,
        sessionId: c.session?.id,
        path: c.path,
        query: c.query,
        compress: c.compress,
        zombie: c.zombie,
        paused: c.paused,
        framesReceived: c.framesReceived,
        framesSent: c.framesSent,
        bytesSent: c.bytesSent,
        sentSeq: c.sentSeq,
        bufferedBytes: c.bufferedBytes,
        lastHeartbeatAt: c.lastHeartbeatAt,
      }));
    },
    dispatch: (shardId, t, d, dispatchOptions) => {
      const session = core.sessions.newestOf(shardId, dispatchOptions?.numShards);
      if (session === undefined) throw new Error(`emulator dispatch: shard ${shardId} has no session (identify first)`);
      const tpl = template(t, d);
      const stamp = dispatchOptions?.stamp === true ? stampNow() : undefined;
      const s = core.dispatch(session, tpl, stamp);
      fanOut(core, layoutIndex(core), session, tpl, stamp);
      return s;
    },
    dispatchToGuild: (guildId, t, d, dispatchOptions) =>
      dispatchRouted(core, guildId, template(t, d), dispatchOptions?.stamp === true ? stampNow() : undefined),
    dispatchMessage: (guildId, content, dispatchOptions) => messages.send(guildId, content, dispatchOptions?.stamp === true),
    markerTraffic: (markerOptions = {}) => {
      if (closed !== undefined) throw new Error('emulator markerTraffic: the emulator is closed');
      const handle = startMarkerTraffic(core, messages, markerOptions, (h) => streams.delete(h));
      streams.add(handle);
      return handle;
    },
    addGuilds: (count) => {
      const added = addGuilds(core, count);
      closeOverfullShards(core, opts.maxGuildsPerShard);
      return added;
    },
    delayLayout: (numShards, ms) => core.lag.set(numShards, ms),
    storm: (stormOptions) => prepareStorm(core, stormOptions),
    stream: (target, streamOptions = {}) => {
      if (closed !== undefined) throw new Error('emulator stream: the emulator is closed');
      const handle = startStream(core, target, streamOptions, { seed: opts.seed, highWaterMark: opts.highWaterMark }, (h) => streams.delete(h));
      streams.add(handle);
      return handle;
    },
    closeShard: (target, code, reason) => faults.closeShard(core, target, code, reason),
    drop: (target) => faults.drop(core, target),
    zombie: (target, on) => faults.zombie(core, target, on),
    reconnect: (target, o) => faults.reconnect(core, target, o?.graceMs ?? opts.reconnectGraceMs),
    invalidate: (target, resumable) => faults.invalidate(core, target, resumable),
    truncate: (target) => faults.truncate(core, target),
    pauseReading: (target, on) => faults.pauseReading(core, target, on),
    requestHeartbeat: (target) => faults.requestHeartbeat(core, target),
    refuseConnections: (refusalOptions) => refusals.start(refusalOptions?.mode),
    get refusedConnections() {
      return refusals.total;
    },
    restart: async () => {
      for (const conn of core.connections.values()) conn.drop();
      await awaitClosed(0);
    },
    close: () => {
      closed ??= (async () => {
        for (const s of [...streams]) s.stop();
        core.lag.clear();
        refusals.clear();
        for (const conn of core.connections.values()) conn.close(1001, 'emulator closed');
        await awaitClosed(CLOSE_GRACE_MS);
        core.sessions.clear();
        log.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // The listening handle is released in the loop's close phase, after this turn's immediates.
        for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
      })();
      return closed;
    },
  };
  return gw;
};
