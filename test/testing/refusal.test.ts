import test from 'ava';
import WebSocket from 'ws';
import { connect, emulator, ready, TOKEN } from './helpers.js';

/** How an attempt to connect ended: opened, or the error/response that ended it before. */
const attempt = (url: string) =>
  new Promise<{ opened: boolean; status?: number; closeCode?: number }>((resolve) => {
    const ws = new WebSocket(`${url}?v=10&encoding=json`);
    ws.on('open', () => {
      ws.terminate();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode });
      ws.terminate();
    });
    ws.on('error', () => {});
    ws.on('close', (code) => resolve({ opened: false, closeCode: code }));
  });

test('refuseConnections refuses every new connection before Hello until end(); open connections stay', async (t) => {
  const gw = await emulator(t);
  const open = await ready(gw.url, TOKEN, [0, 1]);
  const outage = gw.refuseConnections();
  t.like(await attempt(gw.url), { opened: false, closeCode: 1006 });
  t.like(await attempt(gw.resumeUrl), { opened: false, closeCode: 1006 });
  t.is(outage.refused, 2);
  t.true(outage.active);
  t.is(gw.connections.length, 1, 'the open connection is left alone');
  outage.end();
  t.false(outage.active);
  const after = await connect(gw.url);
  t.is((await after.frame((f) => f.op === 10)).op, 10, 'Hello again once the outage ends');
  t.is(gw.refusedConnections, 2);
  await Promise.all([open.client.close(1000), after.close(1000)]);
});

test('refuseConnections with mode http-503 answers the upgrade with 503', async (t) => {
  const gw = await emulator(t);
  const outage = gw.refuseConnections({ mode: 'http-503' });
  t.like(await attempt(gw.url), { opened: false, status: 503 });
  t.is(outage.refused, 1);
  outage.end();
  t.like(await attempt(gw.url), { opened: true });
});
