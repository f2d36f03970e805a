import { DisclusterError } from '../gateway/errors.js';
import { clusterLayout, crossingOf, fleetPlanProblem } from './crossing.js';
import type { ReshardHost, ReshardSet } from './host.js';
import { describeLayout, type ShardLayout } from './layout.js';
import { LedgerRoute } from './ledger-route.js';
import { PhaseGate, type PhasedReshard, type PhasedReshardOptions } from './phased.js';
import { ReshardRun } from './reshard.js';
import { RunningClock } from './running-clock.js';
import { RESHARD_TIMING_DEFAULTS, reshardTickMs } from './timing.js';

/**
 * Checks a fleet plan against the layout the cluster was asked for: the plan must be consistent
 * and give this cluster exactly `layout`, and its `from` must give it the layout it runs.
 * Throws `RESHARD_REFUSED`.
 */
const checkFleet = (options: PhasedReshardOptions, running: ShardLayout, layout: ShardLayout): void => {
  const fleet = options.fleet;
  if (fleet === undefined) return;
  const problem = fleetPlanProblem(fleet.plan, fleet.clusterId);
  const same = (a: ShardLayout, b: ShardLayout) => a.totalShards === b.totalShards && [...a.shardIds].sort((x, y) => x - y).join() === [...b.shardIds].sort((x, y) => x - y).join();
  const reason =
    problem ??
    (!same(clusterLayout(fleet.plan.to, fleet.clusterId), layout)
      ? `the plan gives cluster ${fleet.clusterId} ${describeLayout(clusterLayout(fleet.plan.to, fleet.clusterId))}, not ${describeLayout(layout)}`
      : !same(clusterLayout(fleet.plan.from, fleet.clusterId), running)
        ? `the plan says cluster ${fleet.clusterId} runs ${describeLayout(clusterLayout(fleet.plan.from, fleet.clusterId))}; it runs ${describeLayout(running)}`
        : null);
  if (reason !== null) throw new DisclusterError('RESHARD_REFUSED', `fleet reshard refused: ${reason}`);
};

/**
 * Starts a phased reshard on `host` (the layout already checked by `checkReshard`): the new set
 * opens now; the returned `PhasedReshard` lets the driver switch, retire or abort. With
 * `options.fleet`, the crossing guilds' events go through its ledger (`LedgerRoute`).
 */
export const startPhasedReshard = <S extends ReshardSet>(host: ReshardHost<S>, layout: ShardLayout, options: PhasedReshardOptions = {}): { run: ReshardRun<S>; phased: PhasedReshard } => {
  checkFleet(options, host.current.layout, layout);
  const gate = new PhaseGate();
  const fleet = options.fleet;
  const oldOutput = host.current.output;
  const matchMs = host.timing.reshardMatchWindowMs ?? RESHARD_TIMING_DEFAULTS.reshardMatchWindowMs;
  const clock = new RunningClock(() => host.scheduler.now(), reshardTickMs(matchMs, fleet !== undefined));
  const route =
    fleet === undefined
      ? undefined
      : new LedgerRoute({
          ledger: fleet.ledger,
          crossing: crossingOf(fleet.plan, fleet.clusterId),
          emit: (event, side) => (side === 'old' ? oldOutput : host.dispatch$).next(event),
          windowMs: matchMs,
          now: () => clock.now(),
          report: (event) => host.lifecycle(event),
        });
  const run = new ReshardRun(host, layout, { gate, clock, ...(route ? { route } : {}) });
  run.report.catch(() => {}); // the driver hears of an abort through `prepared`
  const phased: PhasedReshard = {
    prepared: gate.prepared,
    switch: async () => {
      if (!run.switchByDriver()) {
        throw new DisclusterError('RESHARD_REFUSED', gate.isPrepared ? 'switch refused: the reshard switched already or was aborted' : 'switch refused: the new shards are not ready yet');
      }
    },
    retire: () => {
      if (run.preparingSet() !== null) return Promise.reject(new DisclusterError('RESHARD_REFUSED', 'retire refused: the reshard has not switched yet'));
      gate.retireRequested.trigger();
      return run.report;
    },
    abort: () => run.abortByDriver(),
  };
  return { run, phased };
};
