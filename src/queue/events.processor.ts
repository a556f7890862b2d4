import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { respondersConfig, RespondersConfig } from '../config/app.config';
import { textReply } from '../responders/reply.builders';
import { ResponderRegistry } from '../responders/responder.registry';
import { ConversationStateStore } from './conversation-state.store';
import { ConversationTurns, jobIsOver, ORPHAN_AFTER_MS, turnScore } from './conversation-turns';
import { BOT_REPLY_JOB, BotEvent, BotReply, EVENTS_QUEUE, REPLIES_QUEUE, replyJobId, ReplyJobData } from './job-contracts';
import { WorkerRedis } from './worker-redis.service';

export interface EventOutcome {
  responder?: string;
  replies: string[];
}

/** The apology after a turn that failed for good takes the last place of that turn. */
const APOLOGY_INDEX = 99;

/**
 * Runs the responders for one event, one turn at a time per conversation, and queues what they say.
 * Never calls CometChat itself.
 */
@Injectable()
export class EventsProcessor {
  private readonly logger = new Logger(EventsProcessor.name);
  private readonly eventTurns: ConversationTurns;
  private readonly replyTurns: ConversationTurns;

  constructor(
    private readonly registry: ResponderRegistry,
    private readonly states: ConversationStateStore,
    private readonly redis: WorkerRedis,
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue<BotEvent>,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
    @Inject(respondersConfig.KEY) private readonly config: RespondersConfig,
  ) {
    this.eventTurns = new ConversationTurns(redis.prefix, EVENTS_QUEUE);
    this.replyTurns = new ConversationTurns(redis.prefix, REPLIES_QUEUE);
  }

  async process(job: Job<BotEvent>, token?: string): Promise<EventOutcome> {
    const event = job.data;
    const redis = this.redis.client;
    await this.eventTurns.waitForTurn(redis, job, token, event.conversation, event.id, (head) =>
      this.isAbandoned(head, job),
    );

    let outcome;
    try {
      outcome = await this.registry.respond(event, this.states.for(event.conversation));
    } catch (error) {
      const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const why = (error as Error).message;
      if (!final) {
        this.logger.warn(`message ${event.id}: responder failed (attempt ${job.attemptsMade + 1}), will retry: ${why}`);
        throw error;
      }
      this.logger.error(`message ${event.id}: turn failed for good: ${why}`);
      if (this.config.apologyText) await this.enqueue(event, [textReply(this.config.apologyText)], APOLOGY_INDEX);
      await this.eventTurns.release(redis, event.conversation, event.id);
      throw error;
    }

    const replies = await this.enqueue(event, outcome.replies);
    await this.eventTurns.release(redis, event.conversation, event.id);
    return { responder: outcome.responder, replies };
  }

  /**
   * Queues replies in order. Deterministic ids: when this job runs again (retry, stall), the same replies are
   * not queued twice; each reply also claims its place in the conversation's reply line first.
   */
  private async enqueue(event: BotEvent, replies: BotReply[], firstIndex = 0): Promise<string[]> {
    if (replies.length === 0) return [];
    const jobs = replies.map((reply, n) => {
      const index = firstIndex + n;
      const id = replyJobId(event.id, index === APOLOGY_INDEX ? 'apology' : index);
      return {
        name: BOT_REPLY_JOB,
        data: { eventId: event.id, index, target: event.conversation, reply, muid: id },
        opts: { jobId: id },
      };
    });
    await Promise.all(
      jobs.map(({ data, opts }) =>
        this.replyTurns.claim(this.redis.client, event.conversation, opts.jobId, turnScore(event.id, event.receivedAt, data.index)),
      ),
    );
    await this.replies.addBulk(jobs);
    return jobs.map((j) => j.opts.jobId);
  }

  /** The head of the line is abandoned when its event job is finished or gone (or never got stored). */
  private async isAbandoned(headMessageId: string, waiting: Job): Promise<boolean> {
    const jobId = await this.redis.client.get(`${this.redis.prefix}:${EVENTS_QUEUE}:de:${headMessageId}`);
    if (jobId === null) return Date.now() - waiting.timestamp > ORPHAN_AFTER_MS;
    return jobIsOver(await Job.fromId(this.events, jobId));
  }
}
