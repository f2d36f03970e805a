/**
 * The demo's `/metrics` endpoint (the library itself never opens a port): a node:http server on
 * 127.0.0.1 serving a prom-client registry filled by `registerControlMetrics` from the demo's
 * spawned clusters.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { ClusterHandle } from '../control/handle.js';
import { registerControlMetrics } from '../metrics/control.js';
import type { IdentifyQueue } from '../shard/types.js';

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Reads `METRICS_PORT`: undefined when unset or empty, else a port (0 picks a free one); throws a one-line reason otherwise. */
export const metricsPort = (value: string | undefined): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`METRICS_PORT must be a port number from 0 to 65535, got ${JSON.stringify(value.slice(0, 32))}`);
  return port;
};

/** Serves the clusters' metrics at `http://127.0.0.1:<port>/metrics`. */
export const serveMetrics = async (port: number, handles: () => Iterable<Pick<ClusterHandle, 'stats'>>, identifyQueue: IdentifyQueue): Promise<MetricsServer> => {
  const registry = new Registry();
  const unregister = registerControlMetrics(handles, { registry, identifyQueue, statsTimeoutMs: 2000 });
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end('not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => response.writeHead(500).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    close: async () => {
      unregister();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
