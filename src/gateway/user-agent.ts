/** The User-Agent sent on the WebSocket upgrade and on HTTP requests, as Discord asks bots to. */
export const USER_AGENT = 'DiscordBot (@discluster/cluster, 0.1.0)';
