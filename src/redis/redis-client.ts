import type { Queue } from 'bullmq';
import type { RedisClient } from '.';

/** The ioredis client behind a queue, for the few plain commands we run beside BullMQ's (PING, the turn scripts). */
export async function redisClientOf(queue: Queue): Promise<RedisClient> {
  return (await queue.getBackend().connection.client) as unknown as RedisClient;
}
