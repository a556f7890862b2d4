import { Inject, Injectable, Logger } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/app.config';
import type { RedisClient as Redis } from '../redis';
import { REPLIES_QUEUE } from './queue-definitions';
import { WorkerRedis } from './worker-redis.service';

/** Kept at most this long should the job's completion never be recorded; normally gone once it is. */
const SENT_TTL_MS = 24 * 3600 * 1000;
const RETRY_MS = 500;
/**
 * How long a WAIT for the replicas may block. A replica on the same network acknowledges in well under a
 * millisecond; one that does not within this is taken as missing.
 */
const WAIT_MS = 200;
/**
 * After a record short of replicas (none connected, say, after a failover), records go without WAIT for this long,
 * then one WAIT looks again. (A shorter WAIT would not help: Redis times blocked commands out at its `hz`, 100 ms.)
 */
const SHORT_FOR_MS = 10_000;

// allow-oom: written even when Redis refuses every other write (maxmemory reached with noeviction), the one
// moment it matters most: CometChat has the message, and the job's completion is about to fail.
const RECORD = `#!lua flags=allow-oom
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`;

interface SentCommands {
  recordSent(key: string, messageId: string, ttlMs: number): Promise<unknown>;
}

interface SentPipeline {
  recordSent(key: string, messageId: string, ttlMs: number): SentPipeline;
  wait(replicas: number, timeoutMs: number): SentPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/**
 * Which replies CometChat has confirmed, from the 2xx until the job's completion is recorded, so that no run of the
 * job after a fault (Redis out of memory, restarted, failed over) posts it again. Recording is retried until it
 * succeeds: the service keeps trying to record a send, never to repeat it.
 */
@Injectable()
export class SentReplies {
  private readonly logger = new Logger(SentReplies.name);
  private readonly redis: Redis & SentCommands;
  private readonly keyPrefix: string;
  private readonly waitReplicas: number;
  /** Until when replicas are known short: sends are not slowed by a full WAIT each while they are missing. */
  private shortUntil = 0;

  constructor(workerRedis: WorkerRedis, @Inject(redisConfig.KEY) { waitReplicas }: Pick<RedisConfig, 'waitReplicas'>) {
    this.waitReplicas = waitReplicas;
    const client = workerRedis.client;
    if (!('recordSent' in client)) client.defineCommand('recordSent', { numberOfKeys: 1, lua: RECORD });
    this.redis = client as Redis & SentCommands;
    this.keyPrefix = `${workerRedis.prefix}:${REPLIES_QUEUE}:sent:`;
  }

  /**
   * Resolves once Redis holds the record (it waits out an outage on the patient worker connection) and, with
   * REDIS_WAIT_REPLICAS, once that many replicas have it or the WAIT timed out. The write that matters is the one a
   * master acknowledged and then died with: WAIT then fails with the connection, and the record is written again, on
   * the new master. A live master short of replicas cannot do better: the record is kept, and it is said.
   */
  async record(replyId: string, messageId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const replicas = await this.write(this.keyPrefix + replyId, messageId || 'unknown');
        // Short of replicas: said once a window, and the next records of the window go without WAIT.
        if (replicas !== undefined && replicas < this.waitReplicas) {
          this.logger.warn(`send records reach ${replicas} of ${this.waitReplicas} replicas: a failover now could post a reply again`);
          this.shortUntil = Date.now() + SHORT_FOR_MS;
        }
        if (attempt > 1) this.logger.log(`reply ${replyId}: sent as ${messageId}, recorded after ${attempt} attempts`);
        return;
      } catch (error) {
        if (attempt === 1) {
          this.logger.error(`reply ${replyId} sent as ${messageId} but not recorded yet, retrying: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** Writes the record; the number of replicas that have it, undefined when not asked (none wanted, or known short). */
  private async write(key: string, messageId: string): Promise<number | undefined> {
    if (this.waitReplicas === 0 || Date.now() < this.shortUntil) {
      await this.redis.recordSent(key, messageId, SENT_TTL_MS);
      return undefined;
    }
    // One pipeline, so that on a Cluster the WAIT goes to the node that took the record.
    const results = await (this.redis.pipeline() as unknown as SentPipeline)
      .recordSent(key, messageId, SENT_TTL_MS)
      .wait(this.waitReplicas, WAIT_MS)
      .exec();
    if (!results) throw new Error('the send record was not written (its pipeline was discarded)');
    for (const [error] of results) if (error) throw error;
    return Number(results[1][1]);
  }

  /** The CometChat message id the reply went out as, or null when no run of it was confirmed. */
  sentAs(replyId: string): Promise<string | null> {
    return this.redis.get(this.keyPrefix + replyId);
  }

  /** Once BullMQ has recorded the job completed, its completion guards it: the record may go. */
  async forget(replyId: string): Promise<void> {
    await this.redis.del(this.keyPrefix + replyId);
  }
}
