/**
 * Entry point of a cluster in a child process (`fork`). Waits for `start` over the IPC channel
 * (the token never comes through argv or the environment), runs the cluster, and exits with
 * code 0 after `shutdown` or when the channel to CONTROL disconnects.
 */
import { bridgeCluster } from './bridge.js';
import { ipcTransport } from './ipc-transport.js';

/** Exit anyway this long after the bridge finished, should a stray handle keep the loop alive, ms. */
const EXIT_GRACE_MS = 2_000;

if (typeof process.send !== 'function') {
  process.exitCode = 2;
  throw new Error('process-entry must be started with fork(): it needs an IPC channel to CONTROL');
}

const bridge = bridgeCluster({ transport: ipcTransport(process as Parameters<typeof ipcTransport>[0]) });
void bridge.done.then(() => {
  process.exitCode = 0;
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
});
