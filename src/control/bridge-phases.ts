import type { Cluster } from '../cluster/cluster.js';
import { isDisclusterError } from '../gateway/errors.js';
import type { HandoverLedger } from '../reshard/ledger.js';
import { reshardedMessage } from './cluster-events.js';
import type { Rejection } from './decode.js';
import { type FleetMember, fleetMember } from './fleet-member.js';
import type { ToClusterMessage } from './to-cluster.js';
import type { ToControlMessage } from './to-control.js';

/** The phase messages a bridge answers. */
export type PhaseMessage = Extract<ToClusterMessage, { type: 'reshard-prepare' | 'reshard-switch' | 'reshard-retire' | 'reshard-abort' }>;

/**
 * The cluster's end of a phased reshard (`reshard-prepare`, `-switch`, `-retire`, `-abort`): each
 * runs the phase on a `fleetMember` of the cluster and answers `reshard-phase` (or `resharded`
 * for retire), or an `error` (`reshard-failed`) carrying the cause's code. `ledger` is the one the
 * bridge was given for fleet reshards; a `reshard-prepare` with `fleet` and no ledger is refused.
 */
export const createPhaseHandler = (send: (message: ToControlMessage) => void, refuse: (rejection: Rejection) => void, ledger: HandoverLedger | undefined) => {
  let member: { readonly cluster: Cluster; readonly member: FleetMember } | null = null;
  const memberOf = (cluster: Cluster) => {
    if (member?.cluster !== cluster) member = { cluster, member: fleetMember(cluster, ledger) };
    return member.member;
  };
  const failed = (m: PhaseMessage) => (error: unknown) => {
    const cause = isDisclusterError(error) ? { cause: error.code } : {};
    const reason = isDisclusterError(error) ? `${error.code}: ${error.message}` : `the ${m.type} failed with an internal error`;
    refuse({ code: 'reshard-failed', message: reason.slice(0, 4096), issues: [], about: m.type, nonce: m.nonce, ...cause });
  };
  return (cluster: Cluster, m: PhaseMessage): void => {
    const phases = memberOf(cluster);
    const answer = (phase: 'prepared' | 'switched' | 'aborted') => () => send({ type: 'reshard-phase', nonce: m.nonce, phase });
    switch (m.type) {
      case 'reshard-prepare': {
        const layout = { totalShards: m.totalShards, shardIds: m.shardIds };
        const fleet = m.fleet === undefined ? {} : { fleet: { clusterId: m.fleet.clusterId, plan: { from: m.fleet.from, to: m.fleet.to } } };
        return void phases.reshardPrepare(layout, fleet).then(answer('prepared'), failed(m));
      }
      case 'reshard-switch':
        return void phases.reshardSwitch().then(answer('switched'), failed(m));
      case 'reshard-retire':
        return void phases.reshardRetire().then((report) => send(reshardedMessage(m.nonce, report)), failed(m));
      case 'reshard-abort':
        return void phases.reshardAbort().then(answer('aborted'), failed(m));
    }
  };
};
