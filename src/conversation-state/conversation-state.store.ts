import { Inject, Injectable } from '@nestjs/common';
import { respondersConfig, RespondersConfig } from '../config/app.config';
import { Conversation, conversationKey } from '../messages';
import { RedisClient, RedisConnections } from '../redis';
import { batchWritesOnAnswers } from '../redis/write-batcher';
import { ConversationState, encodeStateValue } from '../responders/conversation-state';

/**
 * Responder state in Redis: one hash per conversation (`<prefix>:state:<conversation>`), values as JSON, the whole
 * hash expiring CONVERSATION_STATE_TTL_SECONDS after its last write. Each call is one atomic Redis command; turns of
 * one conversation run one at a time, so read-then-write inside a turn sees no interleaving (see docs/responders.md "Order and state").
 *
 * On a connection of its own, patient like the workers' (a turn waits for Redis to come back rather than lose its
 * state) and batched like theirs (the state commands of turns running at once leave in one write), so the AG-UI
 * endpoint in the api role opens no worker connection.
 */
@Injectable()
export class ConversationStateStore {
  private readonly client: RedisClient;
  private readonly prefix: string;

  constructor(
    connections: RedisConnections,
    @Inject(respondersConfig.KEY) private readonly config: Pick<RespondersConfig, 'stateTtlSeconds'>,
  ) {
    this.prefix = connections.prefix;
    this.client = batchWritesOnAnswers(connections.connect({ role: 'worker' }));
    this.client.on('error', () => undefined); // RedisAvailability logs an outage once, for every connection
  }

  for(conversation: Conversation): ConversationState {
    const key = `${this.prefix}:state:${conversationKey(conversation)}`;
    const { client } = this;
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
