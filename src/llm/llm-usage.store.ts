import { Inject, Injectable } from '@nestjs/common';
import { llmConfig, LlmConfig } from '../config/app.config';
import { RedisClient, RedisConnections } from '../redis';

/** A day's counter outlives its day, so a user's count never resets early around midnight; then it goes. */
const COUNTER_TTL_SECONDS = 2 * 24 * 3600;

/** The UTC day a moment falls in: the budget's period. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * KEYS counter · ARGV budget, hold, ttl seconds. 1 and the hold added to the counter while the count is under the
 * budget; 0 (nothing added) once it is spent. One step, so turns of one user running at once see each other's holds.
 */
const RESERVE = `
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** A turn's claim on its user's budget, from before its model calls until settle() books what they spent. */
export interface BudgetHold {
  /** The counter of the day the hold was taken on: a turn across midnight settles there. */
  key: string;
  held: number;
}

type UsageRedis = RedisClient & { llmReserve(key: string, budget: number, hold: number, ttlSeconds: number): Promise<number> };

/**
 * Tokens each user spent on the LLM today (UTC), counted in Redis so that every worker shares one count:
 * `<QUEUE_PREFIX>:llm:tokens:<day>:<uid>`, expiring two days later. With LLM_DAILY_TOKENS_PER_USER, a turn holds
 * LLM_MAX_OUTPUT_TOKENS of the budget before it calls the model (reserve) and books what the calls spent after them
 * (settle): the check and the hold are one step, so several turns of one user at once (in several conversations)
 * cannot all pass on one count that none of them has added to yet.
 */
@Injectable()
export class LlmUsageStore {
  private readonly client: UsageRedis;
  private readonly prefix: string;

  constructor(
    redis: RedisConnections,
    @Inject(llmConfig.KEY) private readonly config: Pick<LlmConfig, 'dailyTokensPerUser' | 'maxOutputTokens'>,
  ) {
    this.prefix = redis.prefix;
    // Plain commands that may fail: the turn running them is retried.
    const client = redis.connect({ role: 'commands' });
    client.defineCommand('llmReserve', { numberOfKeys: 1, lua: RESERVE });
    client.on('error', () => undefined); // the workers on the same Redis report outages
    this.client = client as UsageRedis;
  }

  key(uid: string, at = new Date()): string {
    return `${this.prefix}:llm:tokens:${utcDay(at)}:${uid}`;
  }

  /** Spent today, and held by turns still running. */
  async spentToday(uid: string, at = new Date()): Promise<number> {
    return Number((await this.client.get(this.key(uid, at))) ?? 0);
  }

  /**
   * A hold on the user's budget for one turn, or null once today's is spent (the turn says LLM_LIMIT_TEXT instead).
   * Without LLM_DAILY_TOKENS_PER_USER, always a hold of nothing: the tokens are still counted by settle().
   */
  async reserve(uid: string, at = new Date()): Promise<BudgetHold | null> {
    const key = this.key(uid, at);
    const budget = this.config.dailyTokensPerUser;
    if (budget === undefined) return { key, held: 0 };
    const held = this.config.maxOutputTokens;
    return (await this.client.llmReserve(key, budget, held, COUNTER_TTL_SECONDS)) === 1 ? { key, held } : null;
  }

  /** Books what the turn's calls spent in place of its hold (a failed call's tokens too: the provider bills them). */
  async settle({ key, held }: BudgetHold, tokens: number): Promise<void> {
    const change = Math.ceil(Math.max(tokens, 0)) - held;
    if (change === 0) return;
    await this.client.multi().incrby(key, change).expire(key, COUNTER_TTL_SECONDS).exec();
  }
}
