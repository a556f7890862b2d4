import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { llmConfig, LlmConfig } from '../config/app.config';
import { RedisClient, RedisConnections, withLuaCommands } from '../redis';

/** A day's counter outlives its day, so a user's count never resets early around midnight; then it goes. */
const COUNTER_TTL_SECONDS = 2 * 24 * 3600;

/** The UTC day a moment falls in: the budget's period. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** A hold outlives the turn that took it by this much at most: time for its settle() to reach Redis. */
const HOLD_GRACE_MS = 60_000;

/** A turn's claim on its user's budget, from before its model calls until settle() books what they spent. */
export interface BudgetHold {
  /** The counter of the day the hold was taken on: a turn across midnight settles there. */
  key: string;
  held: number;
  /** The hold's entry among that day's holds (none when there is no budget to hold against). */
  entry?: { key: string; member: string };
}

/** The budget's scripts (commands/*.lua). */
interface UsageCommands {
  llmReserve(
    key: string,
    holds: string,
    budget: number,
    hold: number,
    ttlSeconds: number,
    now: number,
    expiresAt: number,
    id: string,
  ): Promise<number>;
  llmUsed(key: string, holds: string, now: number): Promise<number>;
}

/**
 * Tokens each user spent on the LLM today (UTC), counted in Redis so that every worker shares one count:
 * `<QUEUE_PREFIX>:llm:tokens:<day>:<uid>`, expiring two days later. With LLM_DAILY_TOKENS_PER_USER, a turn holds
 * LLM_MAX_OUTPUT_TOKENS of the budget before it calls the model (reserve) and books what the calls spent after them
 * (settle): the check and the hold are one step, so several turns of one user at once (in several conversations)
 * cannot all pass on one count that none of them has added to yet. Holds live beside the count
 * (`<QUEUE_PREFIX>:llm:holds:<day>:<uid>`), each expiring once its turn cannot be running any more (LLM_TIMEOUT_MS
 * bounds its model calls): a turn whose process died stops holding the budget then, rather than all day.
 */
@Injectable()
export class LlmUsageStore {
  private readonly client: RedisClient & UsageCommands;
  private readonly prefix: string;

  constructor(
    redis: RedisConnections,
    @Inject(llmConfig.KEY) private readonly config: Pick<LlmConfig, 'dailyTokensPerUser' | 'maxOutputTokens' | 'timeoutMs'>,
  ) {
    this.prefix = redis.prefix;
    // Plain commands that may fail: the turn running them is retried.
    this.client = withLuaCommands<UsageCommands>(redis.connect({ role: 'commands' }), join(__dirname, 'commands'));
    this.client.on('error', () => undefined); // the workers on the same Redis report outages
  }

  key(uid: string, at = new Date()): string {
    return `${this.prefix}:llm:tokens:${utcDay(at)}:${uid}`;
  }

  private holdsKey(uid: string, at: Date): string {
    return `${this.prefix}:llm:holds:${utcDay(at)}:${uid}`;
  }

  /** Spent today, and held by turns still running. */
  async spentToday(uid: string, at = new Date()): Promise<number> {
    return Number(await this.client.llmUsed(this.key(uid, at), this.holdsKey(uid, at), at.getTime()));
  }

  /**
   * A hold on the user's budget for one turn, or null once today's is spent (the turn says LLM_LIMIT_TEXT instead).
   * With no budget (LLM_DAILY_TOKENS_PER_USER, or the bot's own), always a hold of nothing: the tokens are still counted by settle().
   */
  async reserve(uid: string, at = new Date(), budget = this.config.dailyTokensPerUser): Promise<BudgetHold | null> {
    const key = this.key(uid, at);
    if (budget === undefined) return { key, held: 0 };
    const held = this.config.maxOutputTokens;
    const holds = this.holdsKey(uid, at);
    const id = randomUUID();
    const expiresAt = at.getTime() + this.config.timeoutMs + HOLD_GRACE_MS;
    const granted = await this.client.llmReserve(key, holds, budget, held, COUNTER_TTL_SECONDS, at.getTime(), expiresAt, id);
    return granted === 1 ? { key, held, entry: { key: holds, member: `${id}:${held}` } } : null;
  }

  /** Books what the turn's calls spent in place of its hold (a failed call's tokens too: the provider bills them). */
  async settle({ key, entry }: BudgetHold, tokens: number): Promise<void> {
    const spent = Math.ceil(Math.max(tokens, 0));
    if (spent === 0 && !entry) return;
    const booking = this.client.multi();
    if (entry) booking.zrem(entry.key, entry.member);
    if (spent > 0) booking.incrby(key, spent).expire(key, COUNTER_TTL_SECONDS);
    await booking.exec();
  }
}
