import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { respondersConfig, RespondersConfig } from '../../config/app.config';
import { ServedBot, ServedBots } from '../../config/served-bots';
import { BotEvent, BotReply, conversationKey, textOf } from '../../messages';
import { textReply } from '../../responders/reply.builders';
import { ResponderRegistry } from '../../responders/responder.registry';
import { ConversationStateStore } from '../../conversation-state/conversation-state.store';
import { EventJobData, eventIdOf, failsForGood, ReplyJobData, replyJobId } from '../job-contracts';
import type { QueueProcessor } from '../workers/queue-processor';
import { AbsorbedEntry, EventTurns, MAX_BATCH, ReplyTurns, RunningTurn, RunningTurns } from '../turns';
import { newMessageMode } from '../../responders/responder.decorator';
import type { RespondOptions, TurnOutcome } from '../../responders/responder-router';
import type { ConversationState } from '../../responders/conversation-state';
import { STOP_REQUEST_JOB } from '../queue-definitions';
import { botLabel } from '../../metrics/metric-definitions';
import { LiveReplies, LiveReply, QueuedReply } from '../replies/live-replies';
import { ChangeHandling, MessageChanges } from './message-changes';
import { Handoffs } from '../../handoff';

export interface EventOutcome {
  responder?: string;
  replies: string[];
  /** The turn was ended by /stop (or, on a STOP_REQUEST_JOB, this /stop stopped the conversation's running turn). */
  stopped?: boolean;
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

  constructor(
    private readonly registry: ResponderRegistry,
    private readonly states: ConversationStateStore,
    private readonly turns: EventTurns,
    private readonly replyTurns: ReplyTurns,
    @Inject(respondersConfig.KEY) private readonly config: RespondersConfig,
    private readonly bots: ServedBots,
    private readonly live: LiveReplies,
    private readonly running: RunningTurns,
    private readonly changes: MessageChanges,
    private readonly handoffs: Handoffs,
  ) {}

  async process(job: Job<EventJobData>, token?: string): Promise<EventOutcome> {
    // A /stop that stopped the running turn as it arrived: stored for the record, outside the line, nothing to do.
    if (job.name === STOP_REQUEST_JOB) {
      this.logger.log({ ...this.logLine(job), outcome: 'stop-request' });
      return { replies: [], stopped: true };
    }
    const served = this.bots.ofCallback(job.data);
    const seen = served?.eventOf(job.data, job.timestamp);
    // The handoff gate's look leaves with the turn's entry, on the same connection in the same write: one round trip for
    // both. A run that is not the turn's drops it (a look changes nothing that a second one would not find).
    const handedOff = seen && this.handoffs.holds(seen);
    handedOff?.catch(() => undefined); // awaited below when this run takes the turn
    const entered = await this.turns.enter(job, token);
    // Answered by a coalesced turn already: over, holding nothing, saying nothing.
    if (entered.kind === 'absorbed') return { replies: [], coalescedInto: entered.into };
    const { turn } = entered;
    const started = performance.now();
    const bot = this.botOf(job);
    const event = seen!;
    // Only a first run can find its replies not queued yet (an earlier run, retried or stalled, may have).
    const firstRun = job.attemptsMade === 0 && !job.stalledCounter;
    // An edit, delete or reaction (the app webhooks): its built-in handling first, and maybe no responder at all.
    const change = event.kind === 'message' ? undefined : await this.changes.handle(event, bot, { turn, firstRun });
    if (change && !change.route) return this.noted(job, change, started);
    // A conversation handed to people: stored, kept for the transcript, answered by nobody (but `/bot`). A change's
    // built-in handling (feedback, deleting a deleted question's answers) goes on meanwhile.
    if (await handedOff) return this.handedOff(job, started);
    // Only a responder that coalesces or takes interruptions costs anything more: the others' turns run as they always did.
    const chosen = this.registry.select(event);
    const mode = chosen && !change ? newMessageMode(chosen) : 'queue';
    const absorbed = chosen && mode !== 'queue' ? await this.absorb(job, bot, chosen.name) : [];
    const batch = [event, ...absorbed.map((entry) => bot.eventOf(entry.data, entry.timestamp))];
    const newest = batch[batch.length - 1];
    // A streamed answer is shown while it is written; one an earlier run of this turn posted is edited, never posted again.
    const first = this.replyJob(event, turn, 0, { category: 'message', type: 'text', data: {} }, chosen?.name);
    const answer = this.live.sinkFor(first, { firstRun, earlier: !firstRun && (await this.live.wasPosted(first.jobId)) });

    let outcome;
    const running = await this.running.start(job, botLabel(bot));
    const options = { state: this.states.for(event.conversation), live: { settings: this.config.live, sink: answer } };
    try {
      outcome =
        chosen && mode === 'interrupt'
          ? await this.respondInterruptibly(job, bot, chosen.name, { batch, absorbed }, options, running)
          : await this.registry.respond(newest, options.state, { ...(absorbed.length ? { batch } : {}), live: options.live, signal: running.signal });
    } catch (error) {
      if (running.stopped) return this.stopped(job, answer, absorbed, running, started);
      running.end();
      // Logged once, retried or not, by QueueWorkers (logLine).
      if (failsForGood(error, job.attemptsMade + 1, job.opts.attempts)) {
        if (this.config.apologyText) await this.enqueue(event, turn, [textReply(this.config.apologyText)], false, undefined, APOLOGY_INDEX);
        await this.turns.endAbsorbed(absorbed);
      }
      throw error;
    }
    running.end();
    // A coalesced turn's replies are keyed by the message that holds the turn, as any other turn's.
    const replies = await this.enqueue(event, turn, outcome.replies, firstRun, answer, 0, outcome.responder);
    await this.handoffs.answered(batch, outcome.replies);
    // Handed on before BullMQ records the completion, so that completion fetches the next message at once. A
    // crash in between runs this turn again later, in line, never beside the next one; its replies stay queued once.
    await this.turns.release(job);
    await this.turns.endAbsorbed(absorbed);
    this.logger.log({
      ...this.logLine(job),
      responder: outcome.responder,
      replies: replies.length,
      attempt: job.attemptsMade + 1,
      outcome: replies.length > 0 ? 'answered' : 'silent',
      durationMs: Math.round(performance.now() - started),
      ...(absorbed.length ? { coalesced: absorbed.length + 1 } : {}),
      ...(answer.posted ? { streamed: true, edits: answer.edits } : {}),
      ...(change ? changeLine(event, change) : {}),
    });
    return { responder: outcome.responder, replies, ...(absorbed.length ? { absorbed: batch.slice(1).map((e) => e.id) } : {}) };
  }

  /** The conversation is with people: the turn ends at once, saying nothing; the next message takes its turn. */
  private async handedOff(job: Job<EventJobData>, started: number): Promise<EventOutcome> {
    await this.turns.release(job);
    this.logger.log({
      ...this.logLine(job),
      attempt: job.attemptsMade + 1,
      outcome: 'handed-off',
      durationMs: Math.round(performance.now() - started),
    });
    return { replies: [] };
  }

  /**
   * The turn was stopped (/stop): nothing more of it is sent. A streamed answer shown already is edited once to end with
   * "(stopped)"; the conversation's next message takes its turn.
   */
  private async stopped(
    job: Job<EventJobData>,
    answer: LiveReply,
    absorbed: AbsorbedEntry<EventJobData>[],
    running: RunningTurn,
    started: number,
  ): Promise<EventOutcome> {
    if (answer.posted) await answer.finish(`${answer.shown || this.config.live.progressText} (stopped)`);
    await this.turns.release(job);
    await this.turns.endAbsorbed(absorbed);
    running.end();
    this.logger.log({
      ...this.logLine(job),
      attempt: job.attemptsMade + 1,
      outcome: 'stopped',
      durationMs: Math.round(performance.now() - started),
      ...(answer.posted ? { streamed: true, edits: answer.edits } : {}),
    });
    return { replies: [], stopped: true };
  }

  /** A change no responder sees (an edit, with ANSWER_EDITED_MESSAGES off): its built-in handling was all. */
  private async noted(job: Job<EventJobData>, change: ChangeHandling, started: number): Promise<EventOutcome> {
    await this.turns.release(job);
    const event = { kind: job.data.change!.kind, id: job.data.data.id };
    this.logger.log({
      ...this.logLine(job),
      attempt: job.attemptsMade + 1,
      outcome: 'noted',
      durationMs: Math.round(performance.now() - started),
      ...changeLine(event, change),
    });
    return { replies: [] };
  }

  /**
   * A turn of a responder that takes interruptions (`onNewMessage: 'interrupt'`): a message it takes that arrives
   * meanwhile (told at ingest, from any process) joins the turn's batch, the answer being written is aborted, and
   * respond() runs again with the whole batch, in the same turn (a streamed answer shown goes on in the same message).
   * `turn.batch` and `turn.absorbed` grow as messages join.
   */
  private async respondInterruptibly(
    job: Job<EventJobData>,
    bot: ServedBot,
    responder: string,
    turn: { batch: BotEvent[]; absorbed: AbsorbedEntry<EventJobData>[] },
    options: { state: ConversationState; live: RespondOptions['live'] },
    running: RunningTurn,
  ): Promise<TurnOutcome> {
    await this.turns.takesInterruptions(job);
    let current = new AbortController();
    let joining: Promise<void> = Promise.resolve();
    running.onInterrupt = () => {
      joining = joining
        .then(async () => {
          const more = await this.absorb(job, bot, responder, turn.absorbed.length);
          if (more.length === 0) return;
          turn.absorbed.push(...more);
          turn.batch.push(...more.map((entry) => bot.eventOf(entry.data, entry.timestamp)));
          current.abort(new Error('interrupted by a new message'));
        })
        .catch((error: Error) =>
          this.logger.warn({ ...this.logLine(job), reason: `a new message not joined to the running turn: ${error.message}` }),
        );
    };
    try {
      for (;;) {
        const size = turn.batch.length;
        current = new AbortController();
        const signal = AbortSignal.any([running.signal, current.signal]);
        try {
          const batch = [...turn.batch];
          const outcome = await this.registry.respond(batch[batch.length - 1], options.state, {
            ...(batch.length > 1 ? { batch } : {}),
            live: options.live,
            signal,
          });
          await joining;
          // A message joined as the answer ended: it is answered too, with the others.
          if (turn.batch.length === size) return outcome;
        } catch (error) {
          await joining;
          if (!current.signal.aborted || running.stopped) throw error;
        }
      }
    } finally {
      running.onInterrupt = undefined;
    }
  }

  /**
   * The messages waiting right behind this one that the same responder takes, recorded as this turn's batch. `more`:
   * the turn holds that many already (a turn taking interruptions): those joining it now, added to its batch.
   */
  private async absorb(job: Job<EventJobData>, bot: ServedBot, responder: string, more?: number): Promise<AbsorbedEntry<EventJobData>[]> {
    const behind = await this.turns.behind(job, more === undefined ? undefined : { room: MAX_BATCH - 1 - more });
    if ('recorded' in behind) return more === undefined ? behind.recorded : [];
    // Built with a receivedAt of 0: only the choice of responder is asked here.
    // A change (an edit, a reaction) is never part of a batch: it is a turn of its own.
    const takes = (entry: AbsorbedEntry<EventJobData>) => !entry.data.change && this.registry.select(bot.eventOf(entry.data, 0))?.name === responder;
    const taken = behind.waiting.findIndex((entry) => !takes(entry));
    const joining = taken < 0 ? behind.waiting : behind.waiting.slice(0, taken);
    if (more === undefined) return this.turns.absorb(job, joining);
    return joining.length === 0 ? [] : (await this.turns.absorb(job, joining, true)).slice(more);
  }

  /**
   * A turn's log lines name its message and conversation, and with several bots its bot (the conversation's, as the
   * webhook's and the send lines name it).
   */
  logLine(job: Job<EventJobData>) {
    const conversation = this.bots.conversationOf(job.data);
    return {
      msg: 'turn',
      ...(conversation.bot !== undefined ? { bot: conversation.bot } : {}),
      messageId: job.data.data.id,
      conversation: conversationKey(conversation),
    };
  }

  /** The bot the message was sent to; one this deployment no longer serves (its BOTS_FILE changed) fails the turn. */
  private botOf(job: Job<EventJobData>): ServedBot {
    const bot = this.bots.ofCallback(job.data);
    if (bot === undefined) throw new UnrecoverableError(`bot ${JSON.stringify(job.data.bot)} is not served by this deployment (BOTS_FILE)`);
    return bot;
  }

  /** The turn is over: the conversation's next message may run. */
  failedForGood(job: Job<EventJobData>): Promise<void> {
    return this.turns.release(job);
  }

  /**
   * Queues replies in order. Deterministic ids: when this job runs again (retry, stall), the same replies are not
   * queued twice. Each takes its place in the conversation's reply line (ReplyTurns).
   */
  private async enqueue(
    event: BotEvent,
    turn: number,
    replies: BotReply[],
    firstRun: boolean,
    answer?: LiveReply,
    firstIndex = 0,
    responder?: string,
  ): Promise<string[]> {
    if (replies.length === 0) return [];
    const jobs = replies.map((reply, n) => this.replyJob(event, turn, firstIndex + n, reply, responder));
    // A streamed answer shown already (the turn's first reply) ends with its last edit: the whole answer.
    const [first, ...rest] = jobs;
    const shown = answer?.posted === true;
    if (shown) await answer.finish(textOf(first.data.reply));
    const queued = shown ? rest : jobs;
    if (queued.length > 0) await this.replyTurns.queue(event.conversation, queued, { firstRun });
    return jobs.map((job) => job.jobId);
  }

  /**
   * A reply's job: a deterministic id, so that when the turn runs again (retry, stall) it is not queued twice; a change's
   * (an edit answered again) by the change, never the message's first answer. Its first reply carries the question's text
   * and every reply its responder, recorded with the answer (AnswerRecords).
   */
  private replyJob(event: BotEvent, turn: number, index: number, reply: BotReply, responder?: string): QueuedReply {
    const answering = eventIdOf(event.raw as EventJobData);
    const jobId = replyJobId(answering, index === APOLOGY_INDEX ? 'apology' : index, event.conversation.bot);
    const data: ReplyJobData = { eventId: event.id, index, turn, target: event.conversation, reply, muid: jobId, receivedAt: event.receivedAt };
    if (responder !== undefined) data.responder = responder;
    if (index === 0 && event.text) data.question = event.text;
    return { jobId, data };
  }
}

/** A change's turn line: what happened and what its built-in handling did. */
function changeLine(event: Pick<BotEvent, 'kind' | 'id'>, change: ChangeHandling) {
  return { kind: event.kind, ...(change.deletes ? { deletesAnswers: true } : {}), ...(change.feedback ? { feedback: change.feedback } : {}) };
}
