import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { botConfig, BotConfig, queueConfig, QueueConfig, respondersConfig, RespondersConfig } from '../config/app.config';
import { BotEvent, BotReply, conversationKey, conversationOf, mentionStripper, toBotEvent } from '../messages';
import { textReply } from '../responders/reply.builders';
import { ResponderRegistry } from '../responders/responder.registry';
import { ConversationStateStore } from '../conversation-state/conversation-state.store';
import { EventJobData, failsForGood, replyJobId, ReplyJobData } from './job-contracts';
import { BOT_REPLY_JOB, EVENTS_QUEUE, REPLIES_QUEUE } from './queue-definitions';
import type { QueueProcessor } from './queue-processor';
import { AbsorbedEntry, TurnCoalescer } from './sequencing/turn-coalescer';
import { orderedMember, TurnSequencer } from './sequencing/turn-sequencer';
import { WorkerRedis } from './worker-redis.service';

export interface EventOutcome {
  responder?: string;
  replies: string[];
  /** The message ids this turn answered besides its own (a coalesced turn), oldest first. */
  absorbed?: string[];
  /** Set when a coalesced turn answered this message: the id of the message whose turn did. */
  coalescedInto?: string;
}

/** The apology after a turn that failed for good takes the last place of that turn. */
const APOLOGY_INDEX = 999;

/**
 * Runs the responders for one message, one turn at a time per conversation, and queues what they say.
 * Never calls CometChat itself.
 */
@Injectable()
export class EventsProcessor implements QueueProcessor<EventJobData, EventOutcome> {
  private readonly logger = new Logger(EventsProcessor.name);
  private readonly turns: TurnSequencer;
  private readonly replyTurns: TurnSequencer;
  private readonly coalescer: TurnCoalescer<EventJobData>;
  private readonly botUid: string;
  private readonly stripMentions: (text: string) => string;

  constructor(
    private readonly registry: ResponderRegistry,
    private readonly states: ConversationStateStore,
    private readonly redis: WorkerRedis,
    @InjectQueue(EVENTS_QUEUE) events: Queue<EventJobData>,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
    @Inject(respondersConfig.KEY) private readonly config: RespondersConfig,
    @Inject(botConfig.KEY) bot: BotConfig,
    @Inject(queueConfig.KEY) queue: QueueConfig,
  ) {
    this.botUid = bot.uid;
    this.stripMentions = mentionStripper(bot.uid);
    this.turns = new TurnSequencer({
      prefix: redis.prefix,
      queue: events,
      redis: redis.client,
      parkMs: queue.recoveryCheckMs,
      // A place in line names a message; its job is the one BullMQ's deduplication recorded for it.
      jobIdOf: (messageId) => events.getDeduplicationJobId(messageId),
    });
    this.coalescer = new TurnCoalescer({ prefix: redis.prefix, queue: events, redis: redis.client });
    this.replyTurns = new TurnSequencer({
      prefix: redis.prefix,
      queue: replies,
      redis: redis.client,
      parkMs: queue.recoveryCheckMs,
      jobIdOf: async (jobId) => jobId,
    });
  }

  async process(job: Job<EventJobData>, token?: string): Promise<EventOutcome> {
    const callback = job.data;
    const turn = await this.turns.enter(job, token, conversationOf(callback), callback.data.id);
    // Answered by a coalesced turn already: over, holding nothing, saying nothing.
    if (typeof turn !== 'number') return { replies: [], coalescedInto: turn.coalescedInto };
    const started = performance.now();
    const event = toBotEvent(callback, this.botUid, this.stripMentions, job.timestamp);
    // Only a responder that coalesces costs anything more: the others' turns run exactly as they always did.
    const chosen = this.registry.select(event);
    const absorbed = chosen?.coalesce ? await this.absorb(job, event, chosen.name) : [];
    const batch = [event, ...absorbed.map((entry) => toBotEvent(entry.data, this.botUid, this.stripMentions, entry.timestamp))];
    const newest = batch[batch.length - 1];

    let outcome;
    try {
      outcome = await this.registry.respond(newest, this.states.for(event.conversation), absorbed.length ? { batch } : undefined);
    } catch (error) {
      // Logged once, retried or not, by QueueWorkers (logLine).
      if (failsForGood(error, job.attemptsMade + 1, job.opts.attempts)) {
        if (this.config.apologyText) await this.enqueue(event, turn, [textReply(this.config.apologyText)], false, APOLOGY_INDEX);
        await this.endAbsorbed(absorbed);
      }
      throw error;
    }
    // Only a first run can find its replies not queued yet (an earlier run, retried or stalled, may have).
    const firstRun = job.attemptsMade === 0 && !job.stalledCounter;
    // A coalesced turn's replies are keyed by the message that holds the turn, as any other turn's.
    const replies = await this.enqueue(event, turn, outcome.replies, firstRun);
    // Handed on before BullMQ records the completion, so that completion fetches the next message at once. A
    // crash in between runs this turn again later, in line, never beside the next one; its replies stay queued once.
    await this.turns.release(event.conversation, job.id!);
    await this.endAbsorbed(absorbed);
    this.logger.log({
      ...this.logLine(job),
      responder: outcome.responder,
      replies: replies.length,
      attempt: job.attemptsMade + 1,
      outcome: replies.length > 0 ? 'answered' : 'silent',
      durationMs: Math.round(performance.now() - started),
      ...(absorbed.length ? { coalesced: absorbed.length + 1 } : {}),
    });
    return { responder: outcome.responder, replies, ...(absorbed.length ? { absorbed: batch.slice(1).map((e) => e.id) } : {}) };
  }

  /** The messages waiting right behind this one that the same responder takes, recorded as this turn's batch. */
  private absorb(job: Job<EventJobData>, event: BotEvent, responder: string): Promise<AbsorbedEntry<EventJobData>[]> {
    return this.coalescer.absorb(event.conversation, job.id!, event.id, (callback) => {
      // Built with a receivedAt of 0: only the choice of responder is asked here.
      const waiting = toBotEvent(callback, this.botUid, this.stripMentions, 0);
      return this.registry.select(waiting)?.name === responder;
    });
  }

  /**
   * The absorbed messages' jobs, parked until their turn, are woken once this turn's replies are queued: each
   * ends at once ("coalesced into"). Best effort: a parked one not woken ends when its safety net lapses.
   */
  private async endAbsorbed(absorbed: AbsorbedEntry<EventJobData>[]): Promise<void> {
    if (absorbed.length === 0) return;
    await this.turns.wakeParked(absorbed.map((entry) => entry.jobId)).catch(() => undefined);
  }

  /** A turn's log lines name its message and conversation. */
  logLine(job: Job<EventJobData>) {
    return { msg: 'turn', messageId: job.data.data.id, conversation: conversationKey(conversationOf(job.data)) };
  }

  /** The turn is over: the conversation's next message may run. */
  failedForGood(job: Job<EventJobData>): Promise<void> {
    return this.turns.release(conversationOf(job.data), job.id!);
  }

  /**
   * Queues replies in order. Deterministic ids: when this job runs again (retry, stall), the same replies are
   * not queued twice. Each takes its place in the conversation's reply line; the first is added runnable when the
   * line is free, the others parked (delayed) until their turn (TurnSequencer.queueInTurn).
   */
  private async enqueue(event: BotEvent, turn: number, replies: BotReply[], firstRun: boolean, firstIndex = 0): Promise<string[]> {
    if (replies.length === 0) return [];
    const jobs = replies.map((reply, n) => {
      const index = firstIndex + n;
      const id = replyJobId(event.id, index === APOLOGY_INDEX ? 'apology' : index);
      const data: ReplyJobData = { eventId: event.id, index, turn, target: event.conversation, reply, muid: id, receivedAt: event.receivedAt };
      return { name: BOT_REPLY_JOB, data, opts: { jobId: id } };
    });
    const places = jobs.map(({ data, opts }) => ({ member: orderedMember(turn, data.index, opts.jobId), jobId: opts.jobId }));
    const parked = { delay: this.replyTurns.parkMs };
    await this.replyTurns.queueInTurn(
      event.conversation,
      places,
      async (runnableFirst) => {
        const toAdd = jobs.map((job, n) =>
          n === 0 && runnableFirst ? { ...job, data: { ...job.data, granted: true } } : { ...job, opts: { ...job.opts, ...parked } },
        );
        if (toAdd.length === 1) await this.replies.add(toAdd[0].name, toAdd[0].data, toAdd[0].opts);
        else await this.replies.addBulk(toAdd);
      },
      { mayGrant: firstRun },
    );
    return jobs.map((j) => j.opts.jobId);
  }
}
