import test from 'ava';
import { FAULT_NAMES } from './faults.js';
import { runSoak, soakPassed } from './soak.js';

test('bounded fault soak: 16 shards, every fault kind, nothing lost silently or repeated, no rule broken, no token', async (t) => {
  const seed = Number(process.env.SOAK_SEED ?? 20261126);
  const report = await runSoak({ seed, dispatches: 30_000, faultEvery: 400 });
  t.log(`seed ${seed}: ${JSON.stringify(report)}`);
  t.true(soakPassed(report), `replay with SOAK_SEED=${seed}: ${JSON.stringify(report)}`);
  t.is(report.checked + report.lostReported + report.lostUnannounced, report.sent);
  t.true(Object.values(report.faults).reduce((a, b) => a + b, 0) >= 40);
  t.true(FAULT_NAMES.filter((name) => (report.faults[name] ?? 0) > 0).length >= FAULT_NAMES.length - 2, `kinds: ${JSON.stringify(report.faults)}`);
});
