import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { redisConfig, RedisConfig, webhookConfig, WebhookConfig } from '../config/app.config';
import { ReplicaAck } from '../redis';
import { CometChatCallback, conversationOf } from '../messages';
import { DEDUPLICATION_TTL_MS, EventJobData } from './job-contracts';
import { BOT_EVENT_JOB, EVENTS_QUEUE } from './queue-definitions';
import { redisClientOf } from './redis-client';
import { claimMessagesArgs, lineKeys, SequencerRedis, withSequencerScripts } from './sequencing/sequencer.scripts';
import { WriteBatcher } from './write-batcher';

/** Raised when a message could not be stored in time: the webhook answers 503, and the message is not taken. */
export class MessageNotStoredError extends Error {
  constructor(cause: unknown) {
    super(`events queue unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'MessageNotStoredError';
  }
}

/** Raised when a message can never be stored as it is (it fails to serialise): the webhook answers 422. */
export class MessageNotStorableError extends Error {
  constructor(cause: Error) {
    super(`message cannot be stored: ${cause.message}`);
    this.name = 'MessageNotStorableError';
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

/** One callback on its way to Redis; `answer` settles its store() once (the first outcome wins). */
interface Delivery {
  callback: CometChatCallback;
  jobId: string;
  /** With tracing on, its request's trace context: the batch is stored in a later turn, under the first one's. */
  traceContext?: unknown;
  answer?: (storedAs: string | undefined | Error) => void;
}

/**
 * Stores callbacks in the events queue: each message's place in its conversation's line, then its job,
 * deduplicated by message id atomically with the add (BullMQ's deduplication). The callbacks of one event-loop
 * turn go together: one call takes all their places, and it and their adds leave for Redis in one write.
 */
@Injectable()
export class EventsProducer implements OnModuleInit {
  private readonly timeoutMs: number;
  private readonly prefix: string;
  /** The events queue's connection, once it is up; until then, producerReady. */
  private producer?: Producer;
  private producerReady!: Promise<Producer>;
  /** The callbacks of this event-loop turn, stored together at its end. */
  private batch: Delivery[] = [];

  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue<EventJobData>,
    @Inject(webhookConfig.KEY) webhook: WebhookConfig,
    @Inject(redisConfig.KEY) redis: RedisConfig,
    private readonly replicas: ReplicaAck,
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
  store(callback: CometChatCallback): Promise<'accepted' | 'duplicate'> {
    // A fresh job id per delivery: when BullMQ's dedup key already exists the add returns the first job's id
    // instead, which is how a redelivery is told apart without a second round trip.
    const jobId = deliveryId(callback.data.id);
    return new Promise((resolve, reject) => {
      const delivery: Delivery = { callback, jobId, traceContext: this.events.opts.telemetry?.contextManager.active() };
      delivery.answer = (storedAs) => {
        delivery.answer = undefined;
        // A RangeError is the message's own (too deep, too long to serialise): redelivering it would not help.
        if (storedAs instanceof RangeError) reject(new MessageNotStorableError(storedAs));
        else if (storedAs instanceof Error) reject(new MessageNotStoredError(storedAs));
        else resolve(storedAs === jobId ? 'accepted' : 'duplicate');
      };
      if (this.batch.push(delivery) === 1) setImmediate(() => void this.storeBatch());
    });
  }

  private async storeBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    // One timer for the whole batch: a message not stored in time is answered 503. A late success is harmless: the
    // message is stored and a redelivery is answered "duplicate".
    // The reason reaches the log on each 503's request line (WebhookController), not here a second time.
    const timer = setTimeout(() => {
      batch.forEach((d) => d.answer?.(new Error(`no answer from Redis in ${this.timeoutMs} ms`)));
    }, this.timeoutMs);
    try {
      const { redis, writes } = this.producer ?? (await this.producerReady);
      writes.hold();
      const claimed = this.claim(redis, batch);
      const stored = await Promise.all(batch.map((delivery, n) => this.add(redis, claimed, delivery, n)));
      // 200 only once the replicas have it too (REDIS_WAIT_REPLICAS): an answer a dying master gave is no promise.
      if (stored.some((outcome) => typeof outcome === 'string')) {
        await this.replicas.confirm(redis, `${this.prefix}:${EVENTS_QUEUE}:meta`, 'stored messages');
      }
      batch.forEach((delivery, n) => delivery.answer?.(stored[n]));
    } catch (error) {
      batch.forEach((d) => d.answer?.(error as Error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The job id the message is stored under (another delivery's when a duplicate), or why it was not stored. */
  private async add(redis: SequencerRedis, claimed: Promise<Array<string | null>>, delivery: Delivery, n: number): Promise<string | Error> {
    const { callback, jobId } = delivery;
    const id = callback.data.id;
    try {
      const add = () => this.events.add(BOT_EVENT_JOB, callback, { jobId, deduplication: { id, ttl: DEDUPLICATION_TTL_MS } });
      const telemetry = this.events.opts.telemetry;
      const job = await (telemetry ? telemetry.contextManager.with(delivery.traceContext, add) : add());
      if (job.id !== jobId) this.takeBack(redis, claimed, delivery, n);
      return job.id!;
    } catch (error) {
      this.takeBack(redis, claimed, delivery, n);
      return error as Error;
    }
  }

  /** Every message's place in line, in one call sent ahead of the adds, so the places are there before any job. */
  private claim(redis: SequencerRedis, batch: Delivery[]): Promise<Array<string | null>> {
    const messages = batch.map(({ callback, jobId }) => ({ conversation: conversationOf(callback), messageId: callback.data.id, jobId }));
    const claimed = redis.seqClaimMessages(...claimMessagesArgs(this.prefix, EVENTS_QUEUE, messages));
    claimed.catch(() => undefined);
    return claimed;
  }

  /**
   * A place this batch added for a message that was not stored, or was stored before (a redelivery of a message
   * already taken up), is taken back: no job would ever take that turn.
   */
  private takeBack(redis: SequencerRedis, claimed: Promise<Array<string | null>>, delivery: Delivery, n: number): void {
    const { callback } = delivery;
    const keys = lineKeys(this.prefix, EVENTS_QUEUE, conversationOf(callback));
    claimed.then((members) => (members[n] ? redis.seqDrop(keys.line, keys.turn, members[n], callback.data.id) : null)).catch(() => undefined); // left behind, it is dropped once stale (TurnSequencer)
  }
}
