/**
 * `@discluster/cluster/discordjs`: a cluster as @discordjs/core's `Gateway`. Needs
 * `@discordjs/core` 2 (and `@discordjs/rest` 2 for its client), optional peers of this package.
 */
export {
  toDiscordjsGateway,
  type DiscordjsGateway,
  type DiscordjsGatewayOptions,
  type DiscordjsGatewaySource,
  type DiscordjsDispatchListener,
} from './gateway.js';
