import type { Redis } from 'ioredis';
import type { RedisClient } from '.';

/**
 * Holds a Redis connection's writes until the promise chains running now have settled, then sends them in one
 * write. On the webhook's path the callbacks of one event-loop turn cost one command for their places in line
 * and one add each, and under load many arrive in one turn; one syscall per command was the largest cost the
 * service added to a bare handler (npm run bench). ioredis' enableAutoPipelining batches too, but builds a pipeline (copying
 * every BullMQ script onto it) and a promise per command, which cost more than it saved here.
 * Replies are unaffected: Redis answers pipelined commands in order, and ioredis matches them in order.
 */
export class WriteBatcher {
  private holding = false;

  constructor(private readonly client: RedisClient | Pick<Redis, 'stream'>) {}

  /**
   * Holds writes until the current chains settle (or, `untilIdle`, to the end of this event-loop iteration, after
   * every callback of its I/O); a no-op while already holding or without a writable socket.
   */
  hold(untilIdle = false): void {
    if (this.holding) return;
    // Absent on a Cluster client, which has one connection per node: it is then simply not batched.
    const stream = 'stream' in this.client ? this.client.stream : undefined;
    if (!stream?.writable) return;
    stream.cork();
    this.holding = true;
    // A tick queued from a microtask runs once the microtask queue is empty: after every command the chains
    // started now have written (BullMQ's add writes a few awaits in), and before any I/O is waited for.
    const release = () => {
      this.holding = false;
      stream.uncork();
    };
    if (untilIdle) setImmediate(release);
    else queueMicrotask(() => process.nextTick(release));
  }
}

/**
 * Holds a connection's writes while it reads Redis's answers: the commands the answered chains send next (the
 * workers' next steps, many at once under load) leave together, in one write, once this event-loop iteration has
 * run the callbacks of its I/O (ioredis hands answers on a few ticks in, so the end of the microtasks is too soon).
 */
export function batchWritesOnAnswers<C extends RedisClient>(client: C): C {
  if (client.isCluster) return client; // one connection per node: not batched
  const redis = client as Redis;
  const batcher = new WriteBatcher(redis);
  // A new socket on every (re)connect.
  redis.on('connect', () => redis.stream.on('data', () => batcher.hold(true)));
  return client;
}
