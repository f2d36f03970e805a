import test from 'ava';
import { classifyClose, CLOSE_CODES, type CloseAction, type FatalKind } from '../../src/gateway/index.js';

const expected: Array<[number, CloseAction, FatalKind?]> = [
  [4000, 'resume'], [4001, 'resume'], [4002, 'resume'],
  [4003, 'reidentify'], [4004, 'fatal', 'auth'], [4005, 'reidentify'],
  [4007, 'reidentify'], [4008, 'reidentify'], [4009, 'reidentify'],
  [4010, 'fatal', 'sharding'], [4011, 'fatal', 'sharding'], [4012, 'fatal', 'version'],
  [4013, 'fatal', 'intents'], [4014, 'fatal', 'intents'],
];

for (const [code, action, kind] of expected) {
  test(`close code ${code} is ${action}${kind ? ` (${kind})` : ''}`, (t) => {
    const info = classifyClose(code);
    t.is(info.action, action);
    t.is(info.kind, kind);
    t.true(info.reason.length > 0);
  });
}

test('the table holds exactly the documented codes', (t) => {
  t.deepEqual([...CLOSE_CODES.keys()].sort(), expected.map(([c]) => c).sort());
});

test('unknown 4xxx, non-4xxx and a dropped connection resume', (t) => {
  for (const code of [4006, 4999, 1000, 1001, 1006, 1011, 3000]) {
    const info = classifyClose(code);
    t.is(info.action, 'resume', `code ${code}`);
    t.is(info.kind, undefined);
  }
  t.is(classifyClose(1006).reason, 'connection lost');
});
