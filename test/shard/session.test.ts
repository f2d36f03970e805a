import test from 'ava';
import { DisclusterError } from '../../src/gateway/errors.js';
import { gatewayUrl, isSafeResumeUrl, MAX_RESUME_TRIES, nextStep } from '../../src/shard/session.js';

test('resumable ends resume when there is a session, identify when not', (t) => {
  for (const end of [{ type: 'closed', code: 4000 }, { type: 'closed', code: 1006 }, { type: 'zombie' }, { type: 'reconnect-requested' }, { type: 'hello-timeout' }, { type: 'invalid-session', resumable: true }] as const) {
    t.deepEqual(nextStep(end, true, 0), { type: 'resume' }, end.type);
    t.deepEqual(nextStep(end, false, 0), { type: 'identify', lost: null }, end.type);
  }
});

test('session-ending ends identify and report the loss', (t) => {
  t.deepEqual(nextStep({ type: 'invalid-session', resumable: false }, true, 0), { type: 'identify', lost: 'invalid session (op 9)', afterInvalidSession: true });
  const step = nextStep({ type: 'closed', code: 4009 }, true, 0);
  t.is(step.type, 'identify');
  t.regex((step as { lost: string }).lost, /4009/);
});

test('fatal codes stop with their kind', (t) => {
  t.deepEqual(nextStep({ type: 'closed', code: 4004 }, true, 0), { type: 'fatal', code: 4004, reason: 'authentication failed: the token is invalid', kind: 'auth' });
  t.is((nextStep({ type: 'closed', code: 4014 }, false, 0) as { kind: string }).kind, 'intents');
  const budget = nextStep({ type: 'identify-refused', error: new DisclusterError('IDENTIFY_BUDGET_EXHAUSTED', 'x') }, false, 0);
  t.is((budget as { kind: string }).kind, 'identify-budget');
});

test('a resume that keeps failing falls back to identify', (t) => {
  t.deepEqual(nextStep({ type: 'closed', code: 1006 }, true, MAX_RESUME_TRIES - 1), { type: 'resume' });
  t.is(nextStep({ type: 'closed', code: 1006 }, true, MAX_RESUME_TRIES).type, 'identify');
});

test('gateway URLs carry v, encoding and compress; resume URLs must be ws:', (t) => {
  t.is(gatewayUrl('wss://gateway.discord.gg', 'zlib-stream'), 'wss://gateway.discord.gg/?v=10&encoding=json&compress=zlib-stream');
  t.is(gatewayUrl('ws://127.0.0.1:1/?v=9&compress=x', 'none'), 'ws://127.0.0.1:1/?v=10&encoding=json');
  t.true(isSafeResumeUrl('wss://x.discord.gg'));
  t.false(isSafeResumeUrl('http://evil.example'));
  t.false(isSafeResumeUrl('not a url'));
});
