/**
 * Guild traffic with unique markers, for exactly-once tests across a reshard: MESSAGE_CREATE
 * events whose `content` is a unique marker, each addressed to a guild and given to every session
 * that owns the guild in every layout (see `guild-routing.ts`). A test collects the markers it
 * sees on `dispatch$` and compares them with `markers`: every one exactly once.
 */
import type { APIUser } from 'discord-api-types/v10';
import { stampNow, template, type DispatchTemplate } from '../wire/frames.js';
import type { GatewayCore } from '../gateway/gateway.js';
import { dispatchRouted, layoutIndex, type Delivery } from '../gateway/guild-routing.js';
import { isGuildId, type LayoutIndex } from '../world/routing.js';
import type { Session } from '../gateway/session.js';
import { messageCreatePayload } from '../world/payloads.js';
import { createRng } from '../world/rng.js';
import { snowflake } from '../world/snowflake.js';

/** Options of `gw.markerTraffic`. */
export interface MarkerTrafficOptions {
  /** Markers per second. Default 1000. */
  readonly rate?: number;
  /** Stop after this many markers; undefined: until `stop()` (or the emulator closes). */
  readonly count?: number;
  /** Each marker is `${prefix}${n}`, n = 0, 1, 2, … Default `'marker-'`. */
  readonly prefix?: string;
  /** The guilds to cycle over. Default: every guild of the world, guilds added later included. */
  readonly guilds?: readonly string[];
  /** Add `d.emulator_ts` (as `stream` does). Default false. */
  readonly stamp?: boolean;
}

/** A running marker traffic. */
export interface MarkerTraffic {
  /** Resolves when it ends (count reached, `stop()`, or the emulator closed). */
  readonly done: Promise<{ readonly sent: number }>;
  /** Markers sent so far (each given to at least one session). */
  readonly sent: number;
  /** Every marker sent, in order (`content` of the MESSAGE_CREATE): `markers[i]` is `${prefix}${i}`. Built on each read; nothing is kept per marker. */
  readonly markers: readonly string[];
  /** Ends the traffic; `done` resolves. */
  stop(): void;
}

/** Start of the clock of made-up messages (2025-06-15): ids and timestamps advance 1 ms per message. */
const MESSAGE_CLOCK = 1_750_000_000_000;
/** Most markers sent in one timer turn (so a late turn catches up gradually). */
const MAX_PER_TURN = 64;
/** How often traffic with no owning session to send to looks again, ms. */
const IDLE_POLL_MS = 5;

/** Makes MESSAGE_CREATE events with a given content in a guild, each with a unique id (deterministic from the seed). */
export class MessageMaker {
  private serial = 0;
  private readonly rng;

  constructor(
    private readonly core: GatewayCore,
    seed: number,
  ) {
    this.rng = createRng((seed ^ 0x6a09e667) >>> 0);
  }

  /** A MESSAGE_CREATE in a text channel of `guildId` (a world guild, or any snowflake: then channel = guild id) by one of its members. */
  make(guildId: string, content: string): DispatchTemplate {
    const n = this.serial++;
    const world = this.core.world;
    const guild = world.guildById(guildId);
    const at = MESSAGE_CLOCK + n;
    const author: APIUser = guild === undefined ? (world.users[n % world.users.length] as APIUser) : (guild.members[n % guild.members.length] as APIUser);
    const channelId = guild === undefined ? guildId : (guild.textChannelIds[n % guild.textChannelIds.length] as string);
    const timestamp = new Date(at).toISOString().replace('Z', '000+00:00');
    const d = messageCreatePayload(guild, author, snowflake(at, n), channelId, timestamp, this.rng);
    return template('MESSAGE_CREATE', guild === undefined ? { ...d, guild_id: guildId, content } : { ...d, content });
  }

  /** Makes a message and gives it to every session owning `guildId` in every layout (`index`: this turn's snapshot, if any). */
  send(guildId: string, content: string, stamp: boolean, index?: LayoutIndex<Session>): Delivery[] {
    return dispatchRouted(this.core, guildId, this.make(guildId, content), stamp ? stampNow() : undefined, index);
  }
}

/** Starts marker traffic; `onEnd` is called once when it ends. */
export const startMarkerTraffic = (
  core: GatewayCore,
  maker: MessageMaker,
  options: MarkerTrafficOptions,
  onEnd: (handle: MarkerTraffic) => void,
): MarkerTraffic => {
  const { rate = 1000, count, prefix = 'marker-', stamp = false } = options;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`markerTraffic rate must be a finite number > 0, got ${rate}`);
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) throw new RangeError(`markerTraffic count must be an integer >= 0, got ${count}`);
  const bad = options.guilds?.find((id) => !isGuildId(id));
  if (bad !== undefined) throw new RangeError(`markerTraffic guilds must be snowflake strings, got ${JSON.stringify(bad)}`);
  // Read each turn, so guilds added meanwhile take part.
  const guildList = (): readonly (string | { readonly id: string })[] => options.guilds ?? core.world.guilds;
  let sent = 0;
  let cursor = 0;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: (result: { sent: number }) => void = () => {};
  const done = new Promise<{ sent: number }>((resolve) => (resolveDone = resolve));
  const started = performance.now();

  const end = (): void => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearTimeout(timer);
    resolveDone({ sent });
    onEnd(handle);
  };

  /** Sends one marker to the next guild that has an owning session; false when none has. */
  const sendOne = (guilds: readonly (string | { readonly id: string })[], index: LayoutIndex<Session>): boolean => {
    for (let tries = 0; tries < guilds.length; tries++) {
      const guild = guilds[cursor++ % guilds.length] as string | { readonly id: string };
      const guildId = typeof guild === 'string' ? guild : guild.id;
      if (index.owners(guildId).length === 0) continue;
      maker.send(guildId, `${prefix}${sent}`, stamp, index);
      sent++;
      return true;
    }
    return false;
  };

  const pump = (): void => {
    timer = undefined;
    if (ended) return;
    const due = Math.min(MAX_PER_TURN, Math.floor(((performance.now() - started) * rate) / 1000) + 1 - sent, (count ?? Infinity) - sent);
    // One snapshot of the guilds and sessions per turn: nothing changes them within a turn.
    const guilds = guildList();
    const index = layoutIndex(core);
    for (let i = 0; i < due; i++) {
      if (!sendOne(guilds, index)) {
        timer = setTimeout(pump, IDLE_POLL_MS);
        return;
      }
    }
    if (count !== undefined && sent >= count) return end();
    timer = setTimeout(pump, Math.max(1, started + ((sent + 1) * 1000) / rate - performance.now()));
  };

  const handle: MarkerTraffic = {
    done,
    get sent() {
      return sent;
    },
    get markers() {
      return Array.from({ length: sent }, (_, i) => `${prefix}${i}`);
    },
    stop: end,
  };
  if (count === 0) queueMicrotask(end);
  else timer = setTimeout(pump, 0);
  return handle;
};
