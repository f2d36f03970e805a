/**
 * Entry point of a cluster in a child process (`fork`). Waits for `start` over the IPC channel
 * (the token never comes through argv or the environment), runs the cluster, and exits with
 * code 0 after `shutdown` or when the channel to CONTROL disconnects.
 *
 * SIGTERM and SIGINT stop it as `shutdown({ keepSessions: true })` would, unasked: `stopping`,
 * every shard closed with 4000, `sessions-kept` with the snapshots, exit 0. A second signal exits
 * at once (128 + its number); a stop outlasting `start.stopDeadlineMs` exits with 124. Each is
 * said in one line on standard error.
 */
import { handleStopSignals } from '../cluster/signal-stop.js';
import { bridgeCluster } from './bridge.js';
import { ipcTransport } from './ipc-transport.js';

/** Exit anyway this long after the bridge finished, should a stray handle keep the loop alive, ms. */
const EXIT_GRACE_MS = 2_000;

if (typeof process.send !== 'function') {
  process.exitCode = 2;
  throw new Error('process-entry must be started with fork(): it needs an IPC channel to CONTROL');
}

const bridge = bridgeCluster({ transport: ipcTransport(process as Parameters<typeof ipcTransport>[0]) });
handleStopSignals({
  name: `discluster cluster process ${process.pid}`,
  deadlineMs: () => bridge.stopDeadlineMs,
  stop: (signal) => bridge.stopOnSignal(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM'),
});
void bridge.done.then(() => {
  process.exitCode = 0;
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
});
