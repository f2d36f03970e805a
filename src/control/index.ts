/** The CONTROL bridge: the versioned IPC protocol (codecs), the cluster-side bridge and its adapters, and `spawnCluster`. */
export { PROTOCOL_VERSION } from './codec-fields.js';
export { TO_CLUSTER, type ToClusterMessage, type ToClusterType, type StartMessage, type CommandMessage, type ReshardMessage, type ReshardPrepareMessage } from './to-cluster.js';
export { TO_CONTROL, type ToControlMessage, type ToControlType, type ToControlOf, type ProtocolErrorCode, type ProtocolIssue } from './to-control.js';
export { decodeMessage, TO_CLUSTER_LIMITS, TO_CONTROL_LIMITS, type MessageLimits, type Rejection } from './decode.js';
export type { Transport } from './transport.js';
export { ipcTransport, type IpcEndpoint } from './ipc-transport.js';
export { portTransport } from './port-transport.js';
export { bridgeCluster, type Bridge, type BridgeOptions } from './bridge.js';
export { createRemoteIdentifyQueue, type RemoteIdentifyQueue } from './remote-identify-queue.js';
export { createRemoteHandoverLedger, type RemoteHandoverLedger, type RemoteHandoverLedgerOptions } from './ledger-remote.js';
export { createLedgerBroker, type LedgerBroker } from './ledger-broker.js';
export { spawnCluster, type SpawnClusterOptions } from './spawn.js';
export { DEFAULT_MAX_UNREAD_BYTES } from './forward-window.js';
export { RESHARD_TIMEOUT_MS, type ClusterHandle, type ReshardLayout, type ReshardReply } from './handle.js';
export { reshardFleet, fleetIdentifiesNeeded, type ReshardFleetOptions, type FleetReshardReport } from './fleet.js';
export { fleetMember, type FleetMember, type FleetPrepareOptions } from './fleet-member.js';
