import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { redisConfig, RedisConfig, webhookConfig, WebhookConfig } from '../config/app.config';
import { CometChatCallback, conversationOf } from '../messages';
import { DEDUPLICATION_TTL_MS, EventJobData } from './job-contracts';
import { BOT_EVENT_JOB, EVENTS_QUEUE } from './queue-definitions';
import { redisClientOf } from './redis-client';
import { LINE_TTL_MS, lineKeys, SequencerRedis, withSequencerScripts } from './sequencing/sequencer.scripts';
import { WriteBatcher } from './write-batcher';

/** Raised when a message could not be stored in time: the webhook answers 503, and the message is not taken. */
export class MessageNotStoredError extends Error {
  constructor(cause: unknown) {
    super(`events queue unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'MessageNotStoredError';
  }
}

// Job ids must be unique per delivery: a random tag per process plus a counter, with no syscall per request.
const PROCESS_TAG = randomBytes(4).toString('hex');
let deliveries = 0;
const deliveryId = (messageId: string) => `evt-${messageId}-${PROCESS_TAG}${(++deliveries).toString(36)}`;

interface Producer {
  redis: SequencerRedis;
  writes: WriteBatcher;
}

/**
 * Stores callbacks in the events queue: the message's place in its conversation's line, then the job, deduplicated
 * by message id atomically with the add (BullMQ's deduplication), in one write shared with the other callbacks of
 * the same event-loop turn.
 */
@Injectable()
export class EventsProducer implements OnModuleInit {
  private readonly logger = new Logger(EventsProducer.name);
  private readonly timeoutMs: number;
  private readonly prefix: string;
  /** The events queue's connection, once it is up; until then, producerReady. */
  private producer?: Producer;
  private producerReady!: Promise<Producer>;

  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue<EventJobData>,
    @Inject(webhookConfig.KEY) webhook: WebhookConfig,
    @Inject(redisConfig.KEY) redis: RedisConfig,
  ) {
    this.timeoutMs = webhook.enqueueTimeoutMs;
    this.prefix = redis.prefix;
  }

  onModuleInit(): void {
    // Not awaited: with Redis down at boot the service still starts, and answers 503 until Redis is there.
    this.producerReady = redisClientOf(this.events).then(
      (redis) => (this.producer = { redis: withSequencerScripts(redis), writes: new WriteBatcher(redis) }),
    );
    this.producerReady.catch(() => undefined);
  }

  /** 'duplicate' when the same message id was stored already (within 24 h). Throws MessageNotStoredError. */
  async store(callback: CometChatCallback): Promise<'accepted' | 'duplicate'> {
    // A fresh job id per delivery: when BullMQ's dedup key already exists the add returns the first job's id
    // instead, which is how a redelivery is told apart without a second round trip.
    const jobId = deliveryId(callback.data.id);
    const storing = this.claimAndAdd(callback, jobId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis in ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return (await Promise.race([storing, timeout])) === jobId ? 'accepted' : 'duplicate';
    } catch (error) {
      // A late success is harmless: the message is stored and a redelivery is answered "duplicate".
      storing.catch(() => undefined);
      this.logger.warn(`message ${callback.data.id} not stored: ${(error as Error).message}`);
      throw new MessageNotStoredError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The place in line goes first, so it is there before any worker can see the job. A place this call added for a
   * message that was not stored, or was stored before (a redelivery of a message already taken up), is taken back:
   * no job would ever take that turn.
   */
  private async claimAndAdd(callback: CometChatCallback, jobId: string): Promise<string | undefined> {
    const { redis, writes } = this.producer ?? (await this.producerReady);
    const id = callback.data.id;
    const keys = lineKeys(this.prefix, EVENTS_QUEUE, conversationOf(callback));
    writes.hold();
    const claimed = redis.seqClaimMessage(keys.line, keys.turn, keys.counter, LINE_TTL_MS, id, jobId, Date.now());
    claimed.catch(() => undefined);
    const takeBack = () =>
      claimed
        .then((member) => (member ? redis.seqDrop(keys.line, keys.turn, member, id) : null))
        .catch(() => undefined); // left behind, it is dropped once stale (TurnSequencer)
    try {
      const job = await this.events.add(BOT_EVENT_JOB, callback, { jobId, deduplication: { id, ttl: DEDUPLICATION_TTL_MS } });
      if (job.id !== jobId) void takeBack();
      return job.id;
    } catch (error) {
      void takeBack();
      throw error;
    }
  }
}
