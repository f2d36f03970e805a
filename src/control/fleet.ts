import { DisclusterError, isDisclusterError } from '../gateway/errors.js';
import { clusterLayout, type FleetReshardPlan, fleetPlanProblem } from '../reshard/crossing.js';
import type { ReshardReport } from '../reshard/reshard-events.js';
import { reshardBudgetMargin } from '../reshard/reshard.js';
import type { IdentifyQueue } from '../shard/types.js';
import type { FleetMember } from './fleet-member.js';
import { RESHARD_TIMEOUT_MS } from './handle.js';

/** Options of `reshardFleet`. */
export interface ReshardFleetOptions {
  /** The identify queue the fleet's clusters share (CONTROL's): a reshard its `remaining` cannot pay is refused before anything is sent. */
  readonly identifyQueue?: IdentifyQueue | null;
  /** How long every cluster may take to prepare before the fleet aborts (default 30 minutes). */
  readonly timeoutMs?: number;
  /** Hears the fleet's phases (for logs). */
  readonly onPhase?: (phase: 'preparing' | 'switching' | 'retiring' | 'aborting', clusterIds: readonly string[]) => void;
}

/** What `reshardFleet` resolves with: every cluster's report, by cluster id. */
export interface FleetReshardReport {
  readonly plan: FleetReshardPlan;
  readonly clusters: Readonly<Record<string, ReshardReport>>;
  readonly elapsedMs: number;
}

/**
 * Identifies a fleet reshard needs of the shared queue: per cluster, one per new shard plus the
 * margin that cluster keeps (`reshardBudgetMargin`), as `cluster.reshard` counts them.
 */
export const fleetIdentifiesNeeded = (plan: FleetReshardPlan): number =>
  Object.values(plan.to.clusters).reduce((sum, ids) => sum + ids.length + reshardBudgetMargin(ids.length), 0);

/** Why `members` cannot run `plan` (a bad plan, a cluster without a member or the other way, the budget), or null. */
const refusal = (members: Readonly<Record<string, FleetMember>>, plan: FleetReshardPlan, queue: IdentifyQueue | null | undefined): string | null => {
  const problem = fleetPlanProblem(plan);
  if (problem !== null) return problem;
  const ids = Object.keys(members).sort();
  for (const [name, layout] of [['from', plan.from], ['to', plan.to]] as const) {
    const named = Object.keys(layout.clusters).sort();
    if (named.join('\n') !== ids.join('\n')) return `the plan's ${name} names clusters [${named.join(', ')}], the handles are [${ids.join(', ')}]`;
  }
  const empty = ids.filter((id) => (plan.to.clusters[id] ?? []).length === 0);
  if (empty.length > 0) return `the plan leaves cluster(s) ${empty.join(', ')} without a shard`;
  const remaining = (queue as { readonly remaining?: unknown } | null | undefined)?.remaining;
  const need = fleetIdentifiesNeeded(plan);
  if (typeof remaining === 'number' && remaining < need) {
    return `${plan.to.totalShards} new shards over ${ids.length} clusters need ${need} identifies (one per new shard plus each cluster's margin); the identify queue has ${remaining} left`;
  }
  return null;
};

/**
 * Reshards a fleet of clusters as one operation (`members` by cluster id, the ids of `plan`):
 * checks the plan and the shared identify budget (`RESHARD_REFUSED`, nothing sent), then
 * 1. prepare: every cluster opens its new shards (of `plan.to`), guilds that cross clusters judged
 *    by the fleet's handover ledger from now on;
 * 2. once every cluster is prepared (the barrier), switch: every cluster hands over;
 * 3. retire: every cluster closes its old shards (1000) after the match window.
 * If any cluster fails to prepare (refused, a fatal close, its process dies, `timeoutMs`), every
 * cluster aborts and the fleet runs on the old layout as before; rejects with `RESHARD_ABORTED`.
 */
export const reshardFleet = async (
  members: Readonly<Record<string, FleetMember>>,
  plan: FleetReshardPlan,
  options: ReshardFleetOptions = {},
): Promise<FleetReshardReport> => {
  const startedAt = performance.now();
  const reason = refusal(members, plan, options.identifyQueue);
  if (reason !== null) throw new DisclusterError('RESHARD_REFUSED', `fleet reshard refused: ${reason}`);
  const ids = Object.keys(members);
  const timeoutMs = options.timeoutMs ?? RESHARD_TIMEOUT_MS;

  options.onPhase?.('preparing', ids);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DisclusterError('RESHARD_ABORTED', `the fleet was not prepared within ${timeoutMs} ms`)), timeoutMs);
  });
  const prepares = ids.map((id) =>
    members[id]!.reshardPrepare(clusterLayout(plan.to, id), { fleet: { clusterId: id, plan }, timeoutMs }).catch((error: unknown) => {
      const why = isDisclusterError(error) ? `${error.code}: ${error.message}` : String(error);
      throw new DisclusterError('RESHARD_ABORTED', `fleet reshard aborted: cluster ${id} did not prepare (${why})`, { cause: error });
    }),
  );
  try {
    await Promise.race([Promise.all(prepares), timedOut]);
  } catch (error) {
    options.onPhase?.('aborting', ids);
    for (const p of prepares) p.catch(() => {});
    await Promise.allSettled(ids.map((id) => members[id]!.reshardAbort()));
    throw error;
  } finally {
    clearTimeout(timer);
  }

  options.onPhase?.('switching', ids);
  const switched = await Promise.allSettled(ids.map((id) => members[id]!.reshardSwitch()));
  const unswitched = ids.filter((_, i) => switched[i]!.status === 'rejected');
  if (unswitched.length > 0) {
    // the others run the new layout now: there is no way back for them, only a clear report
    throw new DisclusterError('RESHARD_ABORTED', `fleet reshard incomplete: cluster(s) ${unswitched.join(', ')} did not switch (the others did)`);
  }
  options.onPhase?.('retiring', ids);
  const reports = await Promise.all(ids.map(async (id) => [id, await members[id]!.reshardRetire()] as const));
  return { plan, clusters: Object.fromEntries(reports), elapsedMs: performance.now() - startedAt };
};
