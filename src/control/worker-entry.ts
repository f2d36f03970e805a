/**
 * Entry point of a cluster in a worker thread. Talks over the `MessagePort` passed as
 * `workerData.port` (so CONTROL can close it to say it went away), else over `parentPort`.
 * The thread ends after `shutdown` or when the port closes.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { bridgeCluster } from './bridge.js';
import { portTransport } from './port-transport.js';

/** Exit anyway this long after the bridge finished, should a stray handle keep the thread alive, ms. */
const EXIT_GRACE_MS = 2_000;

const given = (workerData as { port?: MessagePort } | null)?.port;
const port = given ?? parentPort;
if (port === null) throw new Error('worker-entry must run in a worker thread');

const bridge = bridgeCluster({ transport: portTransport(port) });
void bridge.done.then(() => {
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
});
