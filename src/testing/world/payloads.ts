/**
 * Discord-shaped payloads built from the synthetic world, typed with `discord-api-types` so
 * they stay as close to the real thing as the types are.
 */
import {
  ChannelType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  Locale,
  MessageType,
  PresenceUpdateStatus,
  type APIGuildMember,
  type ApplicationFlags,
  type GuildMemberFlags,
  type MessageFlags,
  type PresenceUpdateReceiveStatus,
  type RoleFlags,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GatewayMessageCreateDispatchData,
  type GatewayPresenceUpdateDispatchData,
  type GatewayReadyDispatchData,
  type GatewayTypingStartDispatchData,
} from 'discord-api-types/v10';
import type { Rng } from './rng.js';
import type { SyntheticGuild, World } from './world.js';

/** Members (with presences) in a large GUILD_CREATE: about 400 bytes each, so 300 make 100 KiB+. */
const LARGE_GUILD_MEMBERS = 300;

/** The READY payload of a new session. */
export const readyPayload = (
  world: World,
  sessionId: string,
  resumeUrl: string,
  shard: readonly [number, number] | undefined,
  guilds: readonly SyntheticGuild[],
): GatewayReadyDispatchData => ({
  v: 10,
  user: { ...world.bot, verified: true, mfa_enabled: true, email: null },
  guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
  session_id: sessionId,
  resume_gateway_url: resumeUrl,
  ...(shard === undefined ? {} : { shard: [shard[0], shard[1]] as [number, number] }),
  application: { id: world.applicationId, flags: 0 as ApplicationFlags, flags_new: '0' },
});

/** A guild member object for a user. */
export const guildMember = (user: APIUser, joinedAt: string): APIGuildMember => ({
  user,
  nick: null,
  avatar: null,
  roles: [],
  joined_at: joinedAt,
  premium_since: null,
  deaf: false,
  mute: false,
  flags: 0 as GuildMemberFlags,
  pending: false,
});

const presence = (user: APIUser, guildId: string, status: PresenceUpdateReceiveStatus): GatewayPresenceUpdateDispatchData => ({
  user: { id: user.id },
  guild_id: guildId,
  status,
  activities: status === PresenceUpdateStatus.Online ? [{ name: 'Custom Status', type: 4, state: 'building things', created_at: 1_700_000_000_000 } as never] : [],
  client_status: { desktop: status },
});

/**
 * GUILD_CREATE of a synthetic guild. The small form holds the bot as its only member; the large
 * form (`large: true`) holds 300 members with presences, 100 KiB+ serialized.
 */
export const guildCreatePayload = (world: World, guild: SyntheticGuild, large: boolean): GatewayGuildCreateDispatchData => {
  const joinedAt = '2021-06-01T12:00:00.000000+00:00';
  const users = large
    ? Array.from({ length: LARGE_GUILD_MEMBERS }, (_, i) => world.users[(guild.index * 13 + i) % world.users.length] as APIUser)
    : [];
  const statuses: PresenceUpdateReceiveStatus[] = [PresenceUpdateStatus.Online, PresenceUpdateStatus.Idle, PresenceUpdateStatus.DoNotDisturb];
  const textChannels = guild.textChannelIds.map((id, position) => ({
    id,
    type: ChannelType.GuildText as const,
    guild_id: guild.id,
    name: position === 0 ? 'general' : `channel-${position}`,
    position,
    parent_id: null,
    topic: position === 0 ? `Welcome to ${guild.name}!` : null,
    nsfw: false,
    rate_limit_per_user: 0,
    last_message_id: null,
    permission_overwrites: [],
    flags: 0,
  }));
  const voice = {
    id: guild.voiceChannelId,
    type: ChannelType.GuildVoice as const,
    guild_id: guild.id,
    name: 'Lounge',
    position: textChannels.length,
    parent_id: null,
    bitrate: 64_000,
    user_limit: 0,
    rtc_region: null,
    nsfw: false,
    rate_limit_per_user: 0,
    last_message_id: null,
    permission_overwrites: [],
    flags: 0,
  };
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: GuildVerificationLevel.Low,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.AllMembers,
    roles: [
      { id: guild.id, name: '@everyone', color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, icon: null, unicode_emoji: null, position: 0, permissions: '1071698660929', managed: false, mentionable: false, flags: 0 as RoleFlags },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: guild.textChannelIds[0] ?? null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotificationReplies,
    rules_channel_id: null,
    vanity_url_code: null,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default,
    premium_progress_bar_enabled: false,
    hub_type: null,
    safety_alerts_channel_id: null,
    incidents_data: null,
    joined_at: joinedAt,
    large,
    unavailable: false,
    member_count: Math.max(guild.memberCount, users.length + 1),
    voice_states: [],
    members: [guildMember(world.bot, joinedAt), ...users.map((u) => guildMember(u, joinedAt))],
    channels: [...textChannels, voice],
    threads: [],
    presences: users.map((u, i) => presence(u, guild.id, statuses[i % statuses.length] as PresenceUpdateReceiveStatus)),
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
};

const CONTENTS = [
  'hello!', 'gm everyone', 'lol', 'has anyone tried the new build yet?', 'brb', 'nice :)',
  'can someone help me with my bot? it keeps disconnecting every few minutes',
  'ok that worked, thanks a lot', 'see you tomorrow', '👀', 'what time is the event tonight?',
  'I pushed a fix, could you review it when you have a minute? it should close the reconnect loop',
];

/** A MESSAGE_CREATE in a guild channel (or a DM when `guild` is undefined). */
export const messageCreatePayload = (
  guild: SyntheticGuild | undefined,
  author: APIUser,
  id: string,
  channelId: string,
  timestamp: string,
  rng: Rng,
): GatewayMessageCreateDispatchData => ({
  type: MessageType.Default,
  tts: false,
  timestamp,
  pinned: false,
  nonce: String(rng.int(2 ** 31)),
  mentions: [],
  mention_roles: [],
  mention_everyone: false,
  ...(guild === undefined
    ? {}
    : { guild_id: guild.id, member: { roles: [], premium_since: null, pending: false, nick: null, mute: false, joined_at: '2022-03-04T05:06:07.000000+00:00', flags: 0 as GuildMemberFlags, deaf: false, avatar: null } }),
  id,
  flags: 0 as MessageFlags,
  embeds: [],
  edited_timestamp: null,
  content: rng.pick(CONTENTS),
  components: [],
  channel_id: channelId,
  author,
  attachments: [],
});

/** A TYPING_START (`timestamp` in Unix seconds, as Discord sends it). */
export const typingStartPayload = (guild: SyntheticGuild | undefined, user: APIUser, channelId: string, unixSeconds: number): GatewayTypingStartDispatchData => ({
  user_id: user.id,
  timestamp: unixSeconds,
  channel_id: channelId,
  ...(guild === undefined ? {} : { guild_id: guild.id, member: guildMember(user, '2022-03-04T05:06:07.000000+00:00') }),
});

/** A PRESENCE_UPDATE of a guild member. */
export const presenceUpdatePayload = (guild: SyntheticGuild, user: APIUser, rng: Rng): GatewayPresenceUpdateDispatchData =>
  presence(user, guild.id, rng.pick<PresenceUpdateReceiveStatus>([PresenceUpdateStatus.Online, PresenceUpdateStatus.Idle, PresenceUpdateStatus.DoNotDisturb, PresenceUpdateStatus.Offline]));
