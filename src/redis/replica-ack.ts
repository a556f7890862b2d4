import { Inject, Injectable, Logger } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/app.config';
import type { RedisClient } from './redis-connection.factory';

/** How long one WAIT may block: a replica on the same network acknowledges in well under a millisecond. */
const WAIT_MS = 200;
/**
 * After a WAIT short of replicas (none connected, say, after a failover), writes go on without WAIT for this long,
 * then one WAIT looks again. (A shorter WAIT would not help: Redis times blocked commands out at its `hz`, 100 ms.)
 */
const SHORT_FOR_MS = 10_000;

/**
 * Replication is asynchronous: a write a master acknowledged and then died with is lost in a failover. Where it
 * matters (a message answered 200, a reply CometChat confirmed), the writer confirms with WAIT that
 * REDIS_WAIT_REPLICAS replicas have the connection's writes. A master that dies meanwhile fails the WAIT with its
 * connection, so the writer treats the write as not done; a live master short of replicas cannot do better, and
 * that is said once a window.
 */
@Injectable()
export class ReplicaAck {
  private readonly logger = new Logger(ReplicaAck.name);
  private readonly wanted: number;
  private shortUntil = 0;

  constructor(@Inject(redisConfig.KEY) { waitReplicas }: Pick<RedisConfig, 'waitReplicas'>) {
    this.wanted = waitReplicas;
  }

  /**
   * Resolves once the replicas have every write `client` made so far (or the WAIT timed out); throws when the
   * connection fails. `key` is one the writes touched: on a Cluster it takes the WAIT to that key's node.
   */
  async confirm(client: RedisClient, key: string, what: string): Promise<void> {
    if (this.wanted === 0 || Date.now() < this.shortUntil) return;
    const results = await client.pipeline().exists(key).wait(this.wanted, WAIT_MS).exec();
    if (!results) throw new Error(`the replicas could not be asked about ${what} (the pipeline was discarded)`);
    for (const [error] of results) if (error) throw error;
    const replicas = Number(results[1][1]);
    if (replicas < this.wanted) {
      this.logger.warn(`${what} reach ${replicas} of ${this.wanted} replicas (REDIS_WAIT_REPLICAS): a failover now could lose them`);
      this.shortUntil = Date.now() + SHORT_FOR_MS;
    }
  }
}
