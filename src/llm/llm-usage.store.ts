import { Inject, Injectable } from '@nestjs/common';
import { llmConfig, LlmConfig } from '../config/app.config';
import { RedisClient, RedisConnections } from '../redis';

/** A day's counter outlives its day, so a user's count never resets early around midnight; then it goes. */
const COUNTER_TTL_SECONDS = 2 * 24 * 3600;

/** The UTC day a moment falls in: the budget's period. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Tokens each user spent on the LLM today (UTC), counted in Redis so that every worker shares one count:
 * `<QUEUE_PREFIX>:llm:tokens:<day>:<uid>`, increased by each call's total after it, expiring two days later.
 */
@Injectable()
export class LlmUsageStore {
  private readonly client: RedisClient;
  private readonly prefix: string;

  constructor(
    redis: RedisConnections,
    @Inject(llmConfig.KEY) private readonly config: Pick<LlmConfig, 'dailyTokensPerUser'>,
  ) {
    this.prefix = redis.prefix;
    // Plain commands that may fail: the turn running them is retried.
    this.client = redis.connect({ role: 'commands' });
    this.client.on('error', () => undefined); // the workers on the same Redis report outages
  }

  key(uid: string, at = new Date()): string {
    return `${this.prefix}:llm:tokens:${utcDay(at)}:${uid}`;
  }

  async spentToday(uid: string, at = new Date()): Promise<number> {
    return Number((await this.client.get(this.key(uid, at))) ?? 0);
  }

  /** Whether the user may have another answer today: always, with no LLM_DAILY_TOKENS_PER_USER. */
  async allows(uid: string, at = new Date()): Promise<boolean> {
    const budget = this.config.dailyTokensPerUser;
    return budget === undefined || (await this.spentToday(uid, at)) < budget;
  }

  async add(uid: string, tokens: number, at = new Date()): Promise<void> {
    if (!(tokens > 0)) return;
    const key = this.key(uid, at);
    await this.client.multi().incrby(key, Math.ceil(tokens)).expire(key, COUNTER_TTL_SECONDS).exec();
  }
}
