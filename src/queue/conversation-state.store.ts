import { Inject, Injectable } from '@nestjs/common';
import { respondersConfig, RespondersConfig } from '../config/app.config';
import { ConversationState, encodeStateValue } from '../responders/conversation-state';
import { Conversation, conversationKey } from '../messages';
import { WorkerRedis } from '../redis/worker-redis.service';

/**
 * Responder state in Redis: one hash per conversation, values as JSON, the whole hash expiring
 * CONVERSATION_STATE_TTL_SECONDS after its last write. Each call is one atomic Redis command; turns of one
 * conversation run one at a time, so read-then-write inside a turn sees no interleaving (see docs/responders.md
 * "Order and state").
 */
@Injectable()
export class ConversationStateStore {
  constructor(
    private readonly redis: WorkerRedis,
    @Inject(respondersConfig.KEY) private readonly config: RespondersConfig,
  ) {}

  for(conversation: Conversation): ConversationState {
    const key = `${this.redis.prefix}:state:${conversationKey(conversation)}`;
    const { client } = this.redis;
    const ttl = this.config.stateTtlSeconds;
    return {
      async get<T>(field: string) {
        const raw = await client.hget(key, field);
        return raw === null ? undefined : (JSON.parse(raw) as T);
      },
      async set<T>(field: string, value: T) {
        await client.multi().hset(key, field, encodeStateValue(field, value)).expire(key, ttl).exec();
      },
      async delete(field: string) {
        await client.hdel(key, field);
      },
    };
  }
}
