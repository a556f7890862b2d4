import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { join } from 'node:path';
import { Conversation, type Feedback } from '../../messages';
import { RedisConnections, withLuaCommands, type RedisClient } from '../../redis';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { redisClientOf } from '../../redis/redis-client';
import type { EventJobData } from '../job-contracts';
import { EVENTS_QUEUE } from '../queue-definitions';
import { MetricsService } from '../../metrics/metrics.service';

/** How long the service remembers what it answered: a reaction, an edit or a delete later than this finds nothing. */
export const ANSWER_TTL_MS = 7 * 24 * 3600 * 1000;

/** A message the bot answered: the responder, the question's text, and every message its answers went out as. */
export interface AnswerTo {
  responder?: string;
  text?: string;
  messages: string[];
}

/** A message the bot posted as an answer: what it answered, in which conversation, said by which responder. */
export interface AnswerOf {
  question: string;
  conversation: Conversation;
  responder?: string;
}

interface AnswerCommands {
  recordAnswer(
    question: string,
    answer: string,
    replyId: string,
    messageId: string,
    responder: string,
    text: string,
    record: string,
    ttlMs: number,
  ): Promise<number>;
  countFeedback(tally: string, mark: string, field: string, delta: number, ttlMs: number): Promise<number>;
}

/** A tally field: bot, responder and reaction, tab-separated (none of them holds a tab). */
const SEPARATOR = '\t';

/**
 * What the bot answered and how its answers were received, kept a week (ANSWER_TTL_MS): the one owner of these keys.
 * The replies worker records each answer message once CometChat stored it; the app webhooks' events read them (a
 * reaction on an answer, an edit or a delete of a question) and count feedback. Keys are each conversation bot's own
 * (message ids are an app's). Two instances, each on the connection of its side: at ingest the events queue's (a
 * lookup fails fast, as the webhook must: QueueModule), in the workers the worker connection (ProcessingModule), where
 * an answer's record leaves in the same write as the reply's send record, ahead of it.
 */
export class AnswerRecords {
  private readonly keyPrefix: string;
  private readonly commands: Promise<RedisClient & AnswerCommands>;
  /** The client once it is there: a record is then sent at once, in the caller's order of commands. */
  private client?: RedisClient & AnswerCommands;

  constructor(client: RedisClient | Promise<RedisClient>, prefix: string) {
    this.keyPrefix = `${prefix}:answers:`;
    this.commands = Promise.resolve(client).then((redis) => (this.client = withLuaCommands<AnswerCommands>(redis, join(__dirname, 'commands'))));
    this.commands.catch(() => undefined); // Redis down at boot: each call waits for it, or fails as it would
    if (!(client instanceof Promise)) this.client = withLuaCommands<AnswerCommands>(client, join(__dirname, 'commands'));
  }

  /** One message of an answer, posted (CometChat's id): `question` is the message it answers, `replyId` its reply job. */
  async record(answer: {
    conversation: Conversation;
    question: string;
    replyId: string;
    messageId: string;
    responder?: string;
    text?: string;
  }): Promise<void> {
    const { conversation, question, replyId, messageId, responder = '', text = '' } = answer;
    const record: AnswerOf = { question, conversation, ...(responder ? { responder } : {}) };
    const redis = this.client ?? (await this.commands);
    await redis.recordAnswer(
      this.questionKey(conversation.bot, question),
      this.answerKey(conversation.bot, messageId),
      replyId,
      messageId,
      responder,
      text,
      JSON.stringify(record),
      ANSWER_TTL_MS,
    );
  }

  /** How the bot answered this message of the conversation, or null when it did not (or a week has passed). */
  async answerTo(conversation: Conversation, question: string): Promise<AnswerTo | null> {
    const fields = await (await this.commands).hgetall(this.questionKey(conversation.bot, question));
    const messages = Object.keys(fields)
      .filter((field) => field.startsWith('a:'))
      .sort()
      .map((field) => fields[field]);
    if (messages.length === 0) return null;
    return { messages, ...(fields.responder ? { responder: fields.responder } : {}), ...(fields.text ? { text: fields.text } : {}) };
  }

  /** What this message of `bot` (a UID in a deployment of several, else undefined) answered, when it is an answer. */
  async answerOf(bot: string | undefined, messageId: string): Promise<AnswerOf | null> {
    const raw = await (await this.commands).get(this.answerKey(bot, messageId));
    return raw === null ? null : (JSON.parse(raw) as AnswerOf);
  }

  /** Counts a 👍/👎 added (`delta` 1) or removed (-1) once per event (`eventKey`); false when it was counted before. */
  async countFeedback(labels: { bot: string; responder: string; reaction: Feedback }, delta: 1 | -1, eventKey: string): Promise<boolean> {
    const field = [labels.bot, labels.responder, labels.reaction].join(SEPARATOR);
    const redis = await this.commands;
    return (await redis.countFeedback(`${this.keyPrefix}feedback`, `${this.keyPrefix}feedback:${eventKey}`, field, delta, ANSWER_TTL_MS)) === 1;
  }

  /** The feedback counted so far, across every process: each bot, responder and reaction with its count. */
  async feedback(): Promise<Array<{ bot: string; responder: string; reaction: Feedback; count: number }>> {
    const tally = await (await this.commands).hgetall(`${this.keyPrefix}feedback`);
    return Object.entries(tally).map(([field, count]) => {
      const [bot, responder, reaction] = field.split(SEPARATOR);
      return { bot, responder, reaction: reaction as Feedback, count: Number(count) };
    });
  }

  private questionKey(bot: string | undefined, question: string): string {
    return `${this.keyPrefix}q:${bot ?? ''}/${question}`;
  }

  private answerKey(bot: string | undefined, messageId: string): string {
    return `${this.keyPrefix}m:${bot ?? ''}/${messageId}`;
  }
}

/** The ingest side's records (QueueModule): on the events queue's connection, failing fast. */
export const ingestAnswerRecords: Provider = {
  provide: AnswerRecords,
  inject: [getQueueToken(EVENTS_QUEUE), RedisConnections],
  useFactory: (events: Queue<EventJobData>, connections: RedisConnections) => new AnswerRecords(redisClientOf(events), connections.prefix),
};

/** The workers' records (ProcessingModule): on the worker connection, patient, in order with the send records. */
export const workerAnswerRecords: Provider = {
  provide: AnswerRecords,
  inject: [WorkerRedis],
  useFactory: (redis: WorkerRedis) => new AnswerRecords(redis.client, redis.prefix),
};

/** The feedback tally in the metrics, read from Redis at scrape: a removal takes a count back; every process says the same. */
@Injectable()
export class FeedbackCollector {
  constructor(answers: AnswerRecords, metrics: MetricsService) {
    const { feedback } = metrics.metrics;
    metrics.beforeScrape(async () => {
      const tally = await answers.feedback().catch(() => undefined);
      if (!tally) return; // the figures Redis did not give are left as they were rather than zeroed
      feedback.reset();
      for (const { count, ...labels } of tally) feedback.set(labels, count);
    });
  }
}
