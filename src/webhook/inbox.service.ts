import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { botConfig, BotConfig, respondersConfig, RespondersConfig, webhookConfig, WebhookConfig } from '../config/app.config';
import type { GroupChatSetting } from '../config/env.validation';
import { ConversationTurns, turnScore } from '../queue/conversation-turns';
import { BOT_EVENT_JOB, BotEvent, DEDUPLICATION_TTL_MS, EVENTS_QUEUE } from '../queue/job-contracts';
import { redisClientOf } from '../queue/redis-client';
import { WriteBatcher } from '../queue/write-batcher';
import { mentionsBot, mentionStripper, toBotEvent } from './bot-event.factory';
import type { CometChatCallbackDto } from './dto/cometchat-callback.dto';

export type InboxResult =
  | { status: 'accepted' | 'duplicate'; id: string }
  | { status: 'ignored'; id: string; reason: IgnoreReason };

export type IgnoreReason = 'own-message' | 'unsupported-trigger' | 'unsupported-category' | 'group-setting';

/** Raised when the message could not be stored in time: the webhook answers 503 and claims nothing. */
export class InboxUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`events queue unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'InboxUnavailableError';
  }
}

const ANSWERED_TRIGGER = 'after_message';

// Job ids must be unique per delivery: a random tag per process plus a counter, with no syscall per request.
const PROCESS_TAG = randomBytes(4).toString('hex');
let deliveries = 0;
const deliveryId = (messageId: string) => `evt-${messageId}-${PROCESS_TAG}${(++deliveries).toString(36)}`;
// Member joins, edits, deletes and calls are not conversation turns a bot answers.
const IGNORED_CATEGORIES = new Set(['action', 'call']);

@Injectable()
export class InboxService implements OnModuleInit {
  private readonly logger = new Logger(InboxService.name);
  private readonly botUid: string;
  private readonly timeoutMs: number;
  private readonly stripMentions: (text: string) => string;
  private readonly groupSetting: GroupChatSetting;
  private readonly turns: ConversationTurns;
  /** The events queue's connection, once it is up; until then, producerReady. */
  private producer?: Producer;
  private producerReady!: Promise<Producer>;

  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue<BotEvent>,
    @Inject(botConfig.KEY) bot: BotConfig,
    @Inject(webhookConfig.KEY) webhook: WebhookConfig,
    @Inject(respondersConfig.KEY) responders: RespondersConfig,
  ) {
    this.botUid = bot.uid;
    this.timeoutMs = webhook.enqueueTimeoutMs;
    this.stripMentions = mentionStripper(bot.uid);
    this.groupSetting = responders.groupChatSetting;
    this.turns = new ConversationTurns(events.opts.prefix ?? 'bull', EVENTS_QUEUE);
  }

  onModuleInit(): void {
    // Not awaited: with Redis down at boot the service still starts, and answers 503 until Redis is there.
    this.producerReady = redisClientOf(this.events).then((redis) => (this.producer = { redis, writes: new WriteBatcher(redis) }));
    this.producerReady.catch(() => undefined);
  }

  /** Filters a callback, then deduplicates and stores it in one Redis round trip. */
  async receive(callback: CometChatCallbackDto): Promise<InboxResult> {
    const message = callback.data;
    const id = message.id;
    const reason = this.ignoreReason(callback);
    if (reason) return { status: 'ignored', id, reason };

    // A fresh job id per delivery: when BullMQ's dedup key already exists the add returns the first job's id
    // instead, which is how a redelivery is told apart without a second round trip.
    const jobId = deliveryId(id);
    const event = toBotEvent(callback, this.botUid, this.stripMentions);
    const storedId = await this.store(event, jobId);
    if (storedId === jobId) return { status: 'accepted', id };
    this.logger.debug(`message ${id} redelivered; already stored as ${storedId}`);
    return { status: 'duplicate', id };
  }

  private ignoreReason(callback: CometChatCallbackDto): IgnoreReason | undefined {
    const sender = callback.data.sender.toLowerCase();
    if (sender === this.botUid || (callback.bot !== undefined && sender === callback.bot.toLowerCase())) {
      return 'own-message';
    }
    if (callback.trigger !== ANSWERED_TRIGGER) return 'unsupported-trigger';
    if (IGNORED_CATEGORIES.has(callback.data.category)) return 'unsupported-category';
    if (callback.data.receiverType === 'group' && !this.groupMessageWanted(callback)) return 'group-setting';
    return undefined;
  }

  /** GROUP_CHAT_SETTING applied here too, so a bot misconfigured in CometChat still answers only what it should. */
  private groupMessageWanted(callback: CometChatCallbackDto): boolean {
    switch (this.groupSetting) {
      case 'allMessages':
        return true;
      case 'mentionedMessages':
        return mentionsBot(callback, this.botUid);
      case 'slashedMessages': {
        const text = callback.data.data?.text;
        return typeof text === 'string' && this.stripMentions(text).startsWith('/');
      }
      default:
        return false;
    }
  }

  private async store(event: BotEvent, jobId: string): Promise<string | undefined> {
    const storing = this.claimTurnAndAdd(event, jobId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis in ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([storing, timeout]);
    } catch (error) {
      // A late success is harmless: the message is stored and a redelivery is answered "duplicate".
      storing.catch(() => undefined);
      this.logger.warn(`message ${event.id} not stored: ${(error as Error).message}`);
      throw new InboxUnavailableError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The conversation's place in line, then the add, so the line is there before any worker can see the job.
   * Both leave in one write, shared with the other messages of this turn of the event loop. A redelivery keeps
   * the first place (see ConversationTurns); a claim whose add failed is dropped by the worker later.
   */
  private async claimTurnAndAdd(event: BotEvent, jobId: string): Promise<string | undefined> {
    const { redis, writes } = this.producer ?? (await this.producerReady);
    writes.hold();
    this.turns.claim(redis, event.conversation, event.id, turnScore(event.id, event.receivedAt)).catch(() => undefined);
    const job = await this.events.add(BOT_EVENT_JOB, event, {
      jobId,
      deduplication: { id: event.id, ttl: DEDUPLICATION_TTL_MS },
    });
    return job.id;
  }
}

interface Producer {
  redis: Redis;
  writes: WriteBatcher;
}
