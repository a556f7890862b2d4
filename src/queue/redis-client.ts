import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** The ioredis client behind a queue, for the few plain commands we run beside BullMQ's (PING, the ledger). */
export async function redisClientOf(queue: Queue): Promise<Redis> {
  return (await queue.getBackend().connection.client) as unknown as Redis;
}
