import type { Redis } from 'ioredis';

/**
 * Holds a Redis connection's writes until the end of the current event-loop turn, then sends them in one
 * write. On the webhook's path every message costs two commands (the turn claim and the add), and under load
 * several messages arrive in one turn; one syscall per command was the largest cost the service added to a
 * bare handler (scripts/bench.ts). ioredis' enableAutoPipelining batches too, but builds a pipeline (copying
 * every BullMQ script onto it) and a promise per command, which cost more than it saved here.
 * Replies are unaffected: Redis answers pipelined commands in order, and ioredis matches them in order.
 */
export class WriteBatcher {
  private holding = false;

  constructor(private readonly client: Pick<Redis, 'stream'>) {}

  /** Holds writes until this turn ends; a no-op while already holding or without a writable socket. */
  hold(): void {
    if (this.holding) return;
    // Absent on a Cluster client, which has one connection per node: it is then simply not batched.
    const stream = this.client.stream;
    if (!stream?.writable) return;
    stream.cork();
    this.holding = true;
    setImmediate(() => {
      this.holding = false;
      stream.uncork();
    });
  }
}
