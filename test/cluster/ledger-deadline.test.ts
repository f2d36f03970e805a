import test from 'ava';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { ledgerDeadline } from '../../src/reshard/ledger-deadline.js';
import { stall } from '../helpers/markers.js';

/** A loopback socket pair: what one end writes reaches the other in a poll phase. */
const socketPair = async (): Promise<{ client: Socket; server: Socket; close(): void }> => {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const accepted = once(listener, 'connection');
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [server] = (await accepted) as [Socket];
  return { client, server, close: () => (client.destroy(), server.destroy(), listener.close()) };
};

// After a stall Node runs expired timers before it reads its sockets: an answer that arrived during
// the stall must cancel the deadline before it expires. Repeated: the order is the event loop's.
test('an answer that arrived while the process was stalled past the deadline is read before the deadline expires (20 times)', async (t) => {
  const pair = await socketPair();
  t.teardown(() => pair.close());
  for (let round = 0; round < 20; round++) {
    const outcome: string[] = [];
    const deadline = ledgerDeadline(20, () => outcome.push('expired'));
    const answered = once(pair.client, 'data').then(() => (deadline.cancel(), outcome.push('answered')));
    pair.server.write('verdicts');
    stall(60);
    await answered;
    await new Promise((resolve) => setImmediate(resolve)); // queued after the deadline's own immediate, had the timer fired
    t.deepEqual(outcome, ['answered'], `round ${round}`);
  }
});

test('no answer: the deadline expires once; cancel() after it is harmless, and a cancelled one leaves no handle', async (t) => {
  let expired = 0;
  let fired!: () => void;
  const expiry = new Promise<void>((resolve) => (fired = resolve));
  const deadline = ledgerDeadline(5, () => (expired++, fired()));
  await expiry;
  await new Promise((resolve) => setImmediate(resolve));
  t.is(expired, 1);
  deadline.cancel();
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
  const cancelled = ledgerDeadline(1_000, () => expired++);
  cancelled.cancel();
  t.is(process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length, before);
  t.is(expired, 1);
});
