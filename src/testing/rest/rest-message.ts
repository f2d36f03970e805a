/**
 * Messages made by the emulator's `POST /channels/:id/messages`: the body's checks (Discord's
 * error codes), the message object the bot gets back, and the MESSAGE_CREATE that echoes it.
 */
import { ChannelType, MessageType, type APIEmbed, type APIMessage, type APIUser, type GatewayMessageCreateDispatchData, type GuildMemberFlags, type MessageFlags } from 'discord-api-types/v10';

/** A message the emulator made: the REST answer, with the guild it was sent in. */
export type EmulatorMessage = APIMessage & { readonly guild_id?: string };

/** The parts of a create-message body the emulator uses. */
export interface MessageBody {
  readonly content: string;
  readonly tts: boolean;
  readonly embeds: APIEmbed[];
  readonly nonce: string | number | undefined;
}

/** A Discord error answer: status and JSON body. */
export interface RestError {
  readonly status: number;
  readonly body: { readonly message: string; readonly code: number; readonly errors?: unknown };
}

/** Discord's longest message content. */
const MAX_CONTENT = 2000;

const formError = (field: string, code: string, message: string): RestError => ({
  status: 400,
  body: { message: 'Invalid Form Body', code: 50035, errors: { [field]: { _errors: [{ code, message }] } } },
});

/** Checks a parsed JSON body: an object with a string `content` of at most 2000 characters, or embeds. */
export const checkMessageBody = (body: unknown): MessageBody | RestError => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, body: { message: 'The request body contains invalid JSON.', code: 50109 } };
  const { content, tts, embeds, nonce } = body as Record<string, unknown>;
  if (content !== undefined && typeof content !== 'string') return formError('content', 'BASE_TYPE_STRING', 'Must be a string.');
  if (typeof content === 'string' && content.length > MAX_CONTENT) return formError('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CONTENT} or fewer in length.`);
  if (embeds !== undefined && !Array.isArray(embeds)) return formError('embeds', 'BASE_TYPE_LIST', 'Must be a list.');
  if (nonce !== undefined && typeof nonce !== 'string' && typeof nonce !== 'number') return formError('nonce', 'BASE_TYPE_STRING', 'Must be a string.');
  const text = content ?? '';
  const list = (embeds ?? []) as APIEmbed[];
  if (text.trim() === '' && list.length === 0) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
  return { content: text, tts: tts === true, embeds: list, nonce: nonce as string | number | undefined };
};

/** Whether a check answered with an error. */
export const isRestError = (value: MessageBody | RestError): value is RestError => 'status' in value;

/** The message object Discord answers a create-message request with. */
export const createdMessage = (author: APIUser, id: string, channelId: string, guildId: string | undefined, body: MessageBody, timestamp: string): EmulatorMessage => ({
  id,
  channel_id: channelId,
  ...(guildId === undefined ? {} : { guild_id: guildId }),
  author,
  content: body.content,
  timestamp,
  edited_timestamp: null,
  tts: body.tts,
  mention_everyone: false,
  mentions: [],
  mention_roles: [],
  attachments: [],
  embeds: body.embeds,
  pinned: false,
  type: MessageType.Default,
  flags: 0 as MessageFlags,
  components: [],
  ...(body.nonce === undefined ? {} : { nonce: body.nonce }),
});

/** The MESSAGE_CREATE the gateway sends for a message the bot made in a guild text channel (or a DM). */
export const messageCreateDispatch = (message: EmulatorMessage, joinedAt: string): GatewayMessageCreateDispatchData => ({
  ...message,
  mentions: [],
  ...(message.guild_id === undefined
    ? { channel_type: ChannelType.DM }
    : {
        guild_id: message.guild_id,
        channel_type: ChannelType.GuildText,
        member: { roles: [], premium_since: null, pending: false, nick: null, mute: false, deaf: false, joined_at: joinedAt, flags: 0 as GuildMemberFlags, avatar: null },
      }),
});
