import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** The ioredis client behind a queue, for the few plain commands we run beside BullMQ's (PING, the turn scripts). */
export async function redisClientOf(queue: Queue): Promise<Redis> {
  return (await queue.getBackend().connection.client) as unknown as Redis;
}

/** Reconnect quickly and keep trying every 2 s at most, so the service is back within seconds of Redis. */
export const reconnectDelay = (attempt: number) => Math.min(attempt * 200, 2000);
