import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { ReplicaAck, withLuaCommands, type RedisClient as Redis } from '../../redis';
import { REPLIES_QUEUE } from '../queue-definitions';
import type { TurnRecord } from '../turns';
import { WorkerRedis } from '../../redis/worker-redis.service';

/** Kept at most this long should the job's completion never be recorded; normally gone once it is. */
const SENT_TTL_MS = 24 * 3600 * 1000;
const RETRY_MS = 500;
/**
 * Records of completed replies are deleted together, one command for all the completions of this window rather
 * than one each; a record outlives its need by this long at most (or by its TTL, should the process die first).
 */
const FORGET_WINDOW_MS = 100;

interface SentCommands {
  recordSent(key: string, messageId: string, ttlMs: number): Promise<unknown>;
}

/**
 * Which replies CometChat has confirmed, from the 2xx until the job's completion is recorded, so that no run of the
 * job after a fault (Redis out of memory, restarted, failed over) posts it again. Recording is retried until it
 * succeeds: the service keeps trying to record a send, never to repeat it.
 */
@Injectable()
export class SentReplies implements OnApplicationShutdown {
  private readonly logger = new Logger(SentReplies.name);
  private readonly redis: Redis & SentCommands;
  private readonly keyPrefix: string;
  /** The records to delete at the end of this window, and the promise that settles once they are. */
  private forgetting?: { keys: string[]; done: Promise<void> };

  constructor(
    workerRedis: WorkerRedis,
    private readonly replicas: ReplicaAck,
  ) {
    // The record is written even when Redis refuses every other write (commands/recordSent-1.lua).
    this.redis = withLuaCommands<SentCommands>(workerRedis.client, join(__dirname, 'commands'));
    this.keyPrefix = `${workerRedis.prefix}:${REPLIES_QUEUE}:sent:`;
  }

  /**
   * Resolves once Redis holds the record (it waits out an outage on the patient worker connection) and, with
   * REDIS_WAIT_REPLICAS, its replicas too (ReplicaAck): a record only a master that then died had is written again,
   * on the new master. `write` writes it with more (the reply's turn ending with it: TurnSequencer.release), on this
   * connection; it must be idempotent and allowed out of memory, as it is retried until it succeeds.
   */
  async record(replyId: string, messageId: string, write?: (record: TurnRecord) => Promise<unknown>): Promise<void> {
    const record: TurnRecord = { key: this.keyPrefix + replyId, value: messageId || 'unknown', ttlMs: SENT_TTL_MS };
    for (let attempt = 1; ; attempt++) {
      try {
        await (write ? write(record) : this.redis.recordSent(record.key, record.value, record.ttlMs));
        await this.replicas.confirm(this.redis, record.key, 'send records');
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

  /** The CometChat message id the reply went out as, or null when no run of it was confirmed. */
  sentAs(replyId: string): Promise<string | null> {
    return this.redis.get(this.keyPrefix + replyId);
  }

  /**
   * Once BullMQ has recorded the job completed, its completion guards it: the record may go, with the others of
   * this window (one DEL; on a Cluster the queue prefix's hash tag keeps them in one slot). Resolves once it is gone.
   */
  forget(replyId: string): Promise<void> {
    if (!this.forgetting) {
      const keys: string[] = [];
      const done = new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          this.forgetting = undefined;
          this.redis.del(...keys).then(() => resolve(), reject);
        }, FORGET_WINDOW_MS).unref();
      });
      this.forgetting = { keys, done };
    }
    this.forgetting.keys.push(this.keyPrefix + replyId);
    return this.forgetting.done;
  }

  /** What is left to forget goes now, before the connection closes. */
  async onApplicationShutdown(): Promise<void> {
    const pending = this.forgetting;
    if (!pending) return;
    this.forgetting = undefined;
    await this.redis.del(...pending.keys).catch(() => undefined);
  }
}
