import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { redisConfig, RedisConfig, webhookConfig, WebhookConfig } from '../../config/app.config';
import { ReplicaAck, type RedisClient } from '../../redis';
import { CometChatCallback, Conversation, conversationKey, conversationOf } from '../../messages';
import { DEDUPLICATION_TTL_MS, EventJobData, messageDeduplicationId } from '../job-contracts';
import { BOT_EVENT_JOB, EVENTS_QUEUE, STOP_REQUEST_JOB } from '../queue-definitions';
import { redisClientOf } from '../../redis/redis-client';
import { IngestClaim, IngestTurns } from '../turns';
import { WriteBatcher } from '../../redis/write-batcher';

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

/** A conversation found busy at ingest is taken as busy for this long: its next message is stored parked. */
const BUSY_FOR_MS = 1000;
/** At most this many conversations remembered busy; past it the memory starts afresh (it is only a hint). */
const MAX_BUSY = 10_000;

interface Producer {
  redis: RedisClient;
  writes: WriteBatcher;
}

/** One callback on its way to Redis; `answer` settles its store() once (the first outcome wins). */
interface Delivery {
  callback: CometChatCallback;
  conversation: Conversation;
  /** What it is deduplicated by and holds its place in line as: the message id, or a change's key (app webhooks). */
  eventId: string;
  jobId: string;
  /** Stored delayed (parked): its conversation looked busy, so its job would only have parked itself on its first run. */
  parked?: boolean;
  /** A `/stop` that stopped the running turn: stored outside the line (no place, never parked), as a STOP_REQUEST_JOB. */
  outOfLine?: boolean;
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
  /** Conversations found busy (a turn running, or messages waiting) by a recent store: conversation key → when. */
  private readonly busy = new Map<string, number>();
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
    private readonly turns: IngestTurns,
  ) {
    this.timeoutMs = webhook.enqueueTimeoutMs;
    this.prefix = redis.prefix;
  }

  onModuleInit(): void {
    // Not awaited: with Redis down at boot the service still starts, and answers 503 until Redis is there.
    this.producerReady = Promise.all([redisClientOf(this.events), this.turns.ready()]).then(
      ([redis]) => (this.producer = { redis, writes: new WriteBatcher(redis) }),
    );
    this.producerReady.catch(() => undefined);
  }

  /**
   * 'duplicate' when the same message id was stored already for this conversation's bot (within 24 h). Throws
   * MessageNotStoredError. `conversation`: the message's, its bot's own in a deployment of several (ServedBot).
   * `stopRequest` (a `/stop`): the conversation's running turn is stopped first, wherever it runs, and the message is
   * stored outside the line; with nothing running it takes its place in line like any message (and is answered so).
   */
  async store(
    callback: CometChatCallback,
    conversation: Conversation = conversationOf(callback),
    { stopRequest = false }: { stopRequest?: boolean } = {},
  ): Promise<'accepted' | 'duplicate'> {
    // Redis failing here: no stop, and the store that follows fails too (503), so CometChat delivers it again.
    const outOfLine = stopRequest && (await this.turns.stopRunning(conversation).catch(() => undefined)) !== undefined;
    // A fresh job id per delivery: when BullMQ's dedup key already exists the add returns the first job's id
    // instead, which is how a redelivery is told apart without a second round trip.
    const eventId = callback.change?.key ?? callback.data.id;
    const jobId = deliveryId(eventId);
    return new Promise((resolve, reject) => {
      const delivery: Delivery = {
        callback,
        conversation,
        eventId,
        jobId,
        outOfLine,
        traceContext: this.events.opts.telemetry?.contextManager.active(),
      };
      delivery.answer = (storedAs) => {
        delivery.answer = undefined;
        // A RangeError is the message's own (too deep, too long to serialise): redelivering it would not help.
        if (storedAs instanceof RangeError) reject(new MessageNotStorableError(storedAs));
        else if (storedAs instanceof Error) reject(new MessageNotStoredError(storedAs));
        else resolve(storedAs === jobId ? 'accepted' : 'duplicate');
      };
      if (this.batch.push(delivery) === 1) {
        setImmediate(() => {
          this.storeBatch().catch(() => undefined); // it answers every delivery itself
        });
      }
    });
  }

  /** Whether this message of the conversation was stored (within the 24 h a message id is deduplicated for). */
  async stored(conversation: Conversation, messageId: string): Promise<boolean> {
    return (await this.events.getDeduplicationJobId(messageDeduplicationId(conversation, messageId))) !== null;
  }

  private async storeBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    // One timer for the whole batch: a message not stored in time is answered 503. A late success is harmless: the
    // message is stored and a redelivery is answered "duplicate".
    // The reason reaches the log on each 503's request line (CallbackRoute), not here a second time.
    const timer = setTimeout(() => {
      batch.forEach((d) => d.answer?.(new Error(`no answer from Redis in ${this.timeoutMs} ms`)));
    }, this.timeoutMs);
    try {
      const { redis, writes } = this.producer ?? (await this.producerReady);
      writes.hold();
      this.choseParked(batch);
      const claimed = this.claim(batch);
      const stored = await Promise.all(batch.map((delivery, n) => this.add(claimed, delivery, n)));
      void claimed.then(
        (places) => {
          this.promoteFreeHeads(batch, stored, places);
          this.interruptTurns(batch, stored, places);
        },
        () => undefined, // the parked jobs' own recovery check takes them up; their stores stand
      );
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
  private async add(claimed: Promise<Array<IngestClaim | undefined>>, delivery: Delivery, n: number): Promise<string | Error> {
    const { callback, conversation, eventId, jobId } = delivery;
    const id = messageDeduplicationId(conversation, eventId);
    try {
      const opts = { jobId, deduplication: { id, ttl: DEDUPLICATION_TTL_MS }, ...(delivery.parked ? { delay: this.turns.parkedDelayMs } : {}) };
      const add = () => this.events.add(delivery.outOfLine ? STOP_REQUEST_JOB : BOT_EVENT_JOB, callback, opts);
      const telemetry = this.events.opts.telemetry;
      const job = await (telemetry ? telemetry.contextManager.with(delivery.traceContext, add) : add());
      if (job.id !== jobId) this.takeBack(claimed, delivery, n);
      return job.id!;
    } catch (error) {
      this.takeBack(claimed, delivery, n);
      return error as Error;
    }
  }

  /**
   * A message of a conversation that a recent store found busy, or behind another of this batch, is stored
   * parked (delayed, as its job would park itself on its first run): a backlog costs no worker a fetch, a look
   * and a park per message. Only a hint: a parked message that heads a free line after all is promoted once stored
   * (promoteFreeHeads), and one stored runnable behind a turn parks itself.
   */
  private choseParked(batch: Delivery[]): void {
    const now = Date.now();
    const inBatch = new Set<string>();
    for (const delivery of batch) {
      if (delivery.outOfLine) continue;
      const key = conversationKey(delivery.conversation);
      delivery.parked = inBatch.has(key) || now - (this.busy.get(key) ?? -Infinity) < BUSY_FOR_MS;
      inBatch.add(key);
    }
  }

  /**
   * Every message's place in line (none for a message stored out of line), in one call sent ahead of the adds, so the
   * places are there before any job.
   */
  private claim(batch: Delivery[]): Promise<Array<IngestClaim | undefined>> {
    const inLine = batch.filter((delivery) => !delivery.outOfLine);
    const messages = inLine.map(({ eventId, conversation, jobId, parked }) => ({ conversation, messageId: eventId, jobId, parked }));
    const claimed = (messages.length > 0 ? this.turns.claim(messages) : Promise.resolve([])).then((places) => {
      let next = 0;
      return batch.map((delivery) => (delivery.outOfLine ? undefined : places[next++]));
    });
    claimed.then(
      (places) => this.rememberBusy(batch, places),
      () => undefined,
    );
    return claimed;
  }

  private rememberBusy(batch: Delivery[], places: Array<IngestClaim | undefined>): void {
    if (this.busy.size > MAX_BUSY) this.busy.clear();
    const now = Date.now();
    batch.forEach(({ conversation }, n) => {
      const place = places[n];
      if (!place) return;
      const key = conversationKey(conversation);
      if (place.state === 'busy') this.busy.set(key, now);
      else this.busy.delete(key);
    });
  }

  /**
   * A parked message that heads a free line (its conversation looked busy, but was not) is promoted once its job is
   * stored. Not awaited: the message is stored already; should the promotion fail, the job's own recovery check takes it.
   */
  private promoteFreeHeads(batch: Delivery[], stored: Array<string | Error>, places: Array<IngestClaim | undefined>): void {
    batch.forEach(({ jobId }, n) => {
      if (places[n]?.state === 'parked-head' && stored[n] === jobId) this.turns.promote(jobId).catch(() => undefined);
    });
  }

  /**
   * A message stored behind a turn that takes interruptions (its responder's `onNewMessage: 'interrupt'`): that turn is
   * told now, rather than finding it only when it ends. Not awaited, best effort: a turn not told answers it next.
   */
  private interruptTurns(batch: Delivery[], stored: Array<string | Error>, places: Array<IngestClaim | undefined>): void {
    batch.forEach(({ jobId, conversation }, n) => {
      if (places[n]?.state === 'interruptible' && stored[n] === jobId) this.turns.interrupt(conversation).catch(() => undefined);
    });
  }

  /**
   * A place this batch added for a message that was not stored, or was stored before (a redelivery of a message
   * already taken up), is taken back: no job would ever take that turn.
   */
  private takeBack(claimed: Promise<Array<IngestClaim | undefined>>, delivery: Delivery, n: number): void {
    claimed
      .then((places) => {
        const place = places[n];
        return place && this.turns.takeBack(delivery.conversation, delivery.eventId, place);
      })
      .catch(() => undefined); // left behind, it is dropped once stale (TurnSequencer)
  }
}
