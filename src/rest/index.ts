/** The few HTTP calls a cluster needs before it connects. */
export { DISCORD_API_BASE, fetchGatewayBot, gatewayOptions, type FetchGatewayBotOptions } from './gateway-bot.js';
export { readGatewayBotAnswer, GatewayBotCodec, type GatewayBotInfo, type HttpAnswer } from './gateway-bot-answer.js';
