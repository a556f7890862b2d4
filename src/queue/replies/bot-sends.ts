import { join } from 'node:path';
import { withLuaCommands, type RedisClient } from '../../redis';
import type { SendGate, SendPauses } from './delivery-policy';

/** The scripts of commands/: a pause never shortened, and a send's pass through its bot's gate. */
interface BotSendCommands {
  pauseSends(key: string, ms: number): Promise<number>;
  passSendGate(pause: string, appPause: string, sends: string, max: number, windowMs: number): Promise<number>;
}

/** The bot (and its app) whose sends these are. */
export interface SendingBot {
  uid: string;
  app: { name: string };
  /** Its own sends a minute (BOTS_FILE's sendsPerMinute); absent: no budget of its own. */
  sendsPerMinute?: number;
}

const MINUTE_MS = 60_000;
/** The set of held replies outlives its last hold by this much at most (a bot never lifted: its replies went by their delay). */
const HELD_TTL_MS = 3_600_000;

/**
 * One bot's sends in a deployment of several, across every process: its own pause (a 429 for it), its app's (the app's
 * quota spent: every bot of the app waits), and its budget a minute, all asked by each send in one call (pass). Keys under the replies queue's prefix (one hash
 * tag in Redis Cluster): `pause:bot:<uid>`, `pause:app:<app>`, `sends:<uid>`, `held:<uid>`. A paused send waits as a
 * delayed job of its own, so one bot's pause holds no other bot's replies (a queue-wide pause, as with one bot, would
 * hold them all); the bot's held replies are woken together when its pause is lifted (CometChat answers again), as a
 * lifted queue-wide pause releases the queue's.
 */
export class BotSends implements SendPauses, SendGate {
  private readonly redis: RedisClient & BotSendCommands;
  private readonly keys: { pause: string; appPause: string; sends: string; held: string };

  constructor(
    redis: RedisClient,
    /** The replies queue's key prefix: `<QUEUE_PREFIX>:replies`. */
    base: string,
    private readonly bot: SendingBot,
    /** Makes these held replies' jobs run now (they wait as delayed jobs). */
    private readonly wake: (jobIds: string[]) => Promise<void>,
  ) {
    this.redis = withLuaCommands<BotSendCommands>(redis, join(__dirname, 'commands'));
    const { uid } = bot;
    this.keys = {
      pause: `${base}:pause:bot:${uid}`,
      appPause: `${base}:pause:app:${bot.app.name}`,
      sends: `${base}:sends:${uid}`,
      held: `${base}:held:${uid}`,
    };
  }

  /** A reply of this bot about to wait (as a delayed job) for a pause or its budget: woken early should the pause lift. */
  async hold(jobId: string): Promise<void> {
    await this.redis.multi().sadd(this.keys.held, jobId).pexpire(this.keys.held, HELD_TTL_MS).exec();
  }

  async pause(ms: number): Promise<void> {
    await this.redis.pauseSends(this.keys.pause, ms);
  }

  async pauseApp(ms: number): Promise<void> {
    await this.redis.pauseSends(this.keys.appPause, ms);
  }

  /** The longer of the bot's pause and its app's. */
  async pausedForMs(): Promise<number> {
    const [bot, app] = await Promise.all([this.redis.pttl(this.keys.pause), this.redis.pttl(this.keys.appPause)]);
    return Math.max(bot, app, 0);
  }

  /** Lifts the bot's own pause and wakes its held replies; its app's pause (a spent quota) lapses by itself. */
  async lift(): Promise<void> {
    const results = await this.redis.multi().del(this.keys.pause).smembers(this.keys.held).del(this.keys.held).exec();
    const held = results?.[1]?.[1];
    if (Array.isArray(held) && held.length > 0) await this.wake(held as string[]);
  }

  /** One call a send: 0 when the bot may send now (neither it nor its app paused, its budget has room), else ms to wait. */
  pass(): Promise<number> {
    const { pause, appPause, sends } = this.keys;
    return this.redis.passSendGate(pause, appPause, sends, this.bot.sendsPerMinute ?? 0, MINUTE_MS);
  }
}
