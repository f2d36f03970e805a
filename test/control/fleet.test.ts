import test from 'ava';
import { fleetIdentifiesNeeded, reshardFleet } from '../../src/control/fleet.js';
import type { FleetMember } from '../../src/control/fleet-member.js';
import { DisclusterError, isDisclusterError } from '../../src/gateway/errors.js';
import type { FleetReshardPlan } from '../../src/reshard/crossing.js';
import type { ReshardReport } from '../../src/reshard/reshard-events.js';

const PLAN: FleetReshardPlan = {
  from: { totalShards: 4, clusters: { a: [0, 1], b: [2, 3] } },
  to: { totalShards: 6, clusters: { a: [0, 1, 2], b: [3, 4, 5] } },
};

/** A member whose phases are recorded in `log`; `prepare` decides how its preparation ends. */
const member = (id: string, log: string[], prepare: () => Promise<void> = async () => {}, switching: () => Promise<void> = async () => {}): FleetMember => ({
  reshardPrepare: async (layout, options) => {
    log.push(`prepare ${id} ${layout.shardIds.join(',')} of ${layout.totalShards} as ${options?.fleet?.clusterId}`);
    await prepare();
  },
  reshardSwitch: async () => {
    log.push(`switch ${id}`);
    await switching();
  },
  reshardRetire: async () => {
    log.push(`retire ${id}`);
    return { from: PLAN.from, to: PLAN.to } as unknown as ReshardReport;
  },
  reshardAbort: async () => void log.push(`abort ${id}`),
});

test('the phases run in order with a barrier: no switch before every cluster is prepared, no retire before every switch', async (t) => {
  const log: string[] = [];
  let release = () => {};
  const slow = new Promise<void>((resolve) => (release = resolve));
  const running = reshardFleet({ a: member('a', log), b: member('b', log, () => slow) }, PLAN);
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(log, ['prepare a 0,1,2 of 6 as a', 'prepare b 3,4,5 of 6 as b'], 'a waits at the barrier for b');
  release();
  const report = await running;
  t.deepEqual(log.slice(2), ['switch a', 'switch b', 'retire a', 'retire b']);
  t.deepEqual(Object.keys(report.clusters), ['a', 'b']);
});

test('a failed preparation aborts every cluster and rejects naming the cluster and its reason', async (t) => {
  const log: string[] = [];
  const failing = () => Promise.reject(new DisclusterError('RESHARD_ABORTED', 'new shard 4 stopped (close 4011)'));
  const error = await t.throwsAsync(reshardFleet({ a: member('a', log), b: member('b', log, failing) }, PLAN), {
    message: /cluster b did not prepare \(RESHARD_ABORTED: new shard 4 stopped \(close 4011\)\)/,
  });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.deepEqual(log.filter((l) => !l.startsWith('prepare')).sort(), ['abort a', 'abort b']);
});

test('a preparation that outlasts timeoutMs aborts every cluster', async (t) => {
  const log: string[] = [];
  const never = () => new Promise<void>(() => {});
  const error = await t.throwsAsync(reshardFleet({ a: member('a', log), b: member('b', log, never) }, PLAN, { timeoutMs: 30 }), { message: /not prepared within 30 ms/ });
  t.true(isDisclusterError(error, 'RESHARD_ABORTED'));
  t.deepEqual(log.filter((l) => !l.startsWith('prepare')).sort(), ['abort a', 'abort b']);
});

test('a cluster that cannot switch at the barrier is named; the others are not retired blindly', async (t) => {
  const log: string[] = [];
  const gone = () => Promise.reject(new DisclusterError('CONTROL_EXITED', 'the cluster exited with code 137'));
  await t.throwsAsync(reshardFleet({ a: member('a', log), b: member('b', log, undefined, gone) }, PLAN), { message: /cluster\(s\) b did not switch \(the others did\)/ });
  t.false(log.some((l) => l.startsWith('retire')));
});

test('the identifies a fleet reshard needs: one per new shard plus each cluster\'s margin', (t) => {
  t.is(fleetIdentifiesNeeded(PLAN), 8);
  t.is(fleetIdentifiesNeeded({ ...PLAN, to: { totalShards: 24, clusters: { a: [...Array(12).keys()], b: [...Array(12).keys()].map((i) => i + 12) } } }), 28);
});
