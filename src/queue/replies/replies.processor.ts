import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, Queue } from 'bullmq';
import { cometchatConfig, CometChatConfig, queueConfig, QueueConfig, respondersConfig, RespondersConfig } from '../../config/app.config';
import { CometChatError } from '../../cometchat/cometchat-error';
import { REPLY_SENDER, ReplySender } from '../../cometchat/reply-sender';
import { conversationKey } from '../../messages';
import type { ReplyJobData } from '../job-contracts';
import { QUEUES, REPLIES_QUEUE } from '../queue-definitions';
import type { QueueProcessor } from '../workers/queue-processor';
import { ServedBot, ServedBots } from '../../config/served-bots';
import { BotSends } from './bot-sends';
import { BreakerBroadcast } from './breaker-broadcast';
import { Delivery, DeliveryPolicy, DeliveryPorts } from './delivery-policy';
import { LiveReplies } from './live-replies';
import { AnswerRecords } from '../answers/answer-records';
import { inBullmqTerms, queuePauses, SendRefusedError } from './delivery-in-bullmq';
import { ProbeLock } from './probe-lock';
import { SentReplies } from './sent-replies';
import { ReplyTurns } from '../turns';
import { WorkerRedis } from '../../redis/worker-redis.service';

export interface ReplyOutcome {
  messageId: string;
  /** True when CometChat had already confirmed this reply on an earlier run of the job. */
  alreadySent: boolean;
  /** An edit of a streamed answer that had nothing new to show (a later text went with an earlier job): no call made. */
  skipped?: boolean;
}

/**
 * Sends one reply through CometChat (or the sandbox: whatever REPLY_SENDER is), in its conversation's order; when
 * and how it goes (breaker, pauses, retry budget) is the DeliveryPolicy's word, said here in BullMQ's terms. Each bot
 * of several has a policy of its own (its breaker, pauses, probe and budget: BotSends), so a 429 or an outage met by
 * one bot holds only its own replies; one bot's policy pauses the whole queue, as it always did.
 */
@Injectable()
export class RepliesProcessor implements QueueProcessor<ReplyJobData, ReplyOutcome>, OnApplicationBootstrap {
  private readonly logger = new Logger(RepliesProcessor.name);
  /** The one bot's policy, or with several bots each bot's, by UID. */
  private readonly policies = new Map<string, DeliveryPolicy<Job<ReplyJobData>>>();
  /** With several bots, each bot's sends (BotSends), by UID: where a held reply is noted. */
  private readonly botSends = new Map<string, BotSends>();

  constructor(
    @Inject(REPLY_SENDER) sender: ReplySender,
    private readonly sent: SentReplies,
    private readonly turns: ReplyTurns,
    redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) replies: Queue<ReplyJobData>,
    @Inject(queueConfig.KEY) queue: QueueConfig,
    @Inject(cometchatConfig.KEY) cometchat: Pick<CometChatConfig, 'timeoutMs'>,
    news: BreakerBroadcast,
    private readonly bots: ServedBots,
    private readonly live: LiveReplies,
    @Inject(respondersConfig.KEY) private readonly responders: Pick<RespondersConfig, 'live'>,
    private readonly answers: AnswerRecords,
  ) {
    const base = `${redis.prefix}:${REPLIES_QUEUE}`;
    const { backoffMs: firstWindowMs, backoffMaxMs: maxWindowMs } = queue.replies;
    const settings = { firstWindowMs, maxWindowMs, budgetMs: queue.repliesRetryBudgetMs };
    const shared = { sender, log: this.logger, lineOf: this.logLine.bind(this) };
    // Held for a send's longest possible call, and a margin for its hand-back.
    const probeLock = (key: string) => new ProbeLock(redis.client, key, cometchat.timeoutMs + 5000);
    const policy = (ports: Omit<DeliveryPorts<Job<ReplyJobData>>, keyof typeof shared>) => new DeliveryPolicy({ ...shared, ...ports }, settings);
    if (!bots.several) {
      const pauses = queuePauses(replies, QUEUES.replies.limiter(queue).max);
      this.policies.set(bots.all[0].uid, policy({ pauses, probes: probeLock(`${base}:probe`), news: news.scoped('') }));
      return;
    }
    for (const bot of bots.all) {
      const sends = new BotSends(redis.client, base, bot, (jobIds) => wakeHeld(replies, jobIds));
      this.botSends.set(bot.uid, sends);
      this.policies.set(bot.uid, policy({ pauses: sends, gate: sends, probes: probeLock(`${base}:probe:${bot.uid}`), news: news.scoped(bot.uid) }));
    }
  }

  /** This process's breakers hear the others'. */
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([...this.policies.values()].map((policy) => policy.listen()));
  }

  async process(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
    await this.turns.enter(job, token);
    if (job.data.editOf !== undefined) return this.edit(job, job.data.editOf, token);
    if (job.data.deletesAnswersOf !== undefined) return this.deleteAnswers(job, job.data.deletesAnswersOf, token);
    // Only a job that ran before can have been sent (its completion lost to a fault): ask then, not on a first run.
    const previous = job.attemptsStarted > 1 ? await this.sent.sentAs(job.id!) : null;
    if (previous !== null) {
      await this.turns.release(job);
      this.logger.log({ ...this.logLine(job), attempt: job.attemptsMade + 1, outcome: 'already-sent', messageId: previous });
      return { messageId: previous, alreadySent: true };
    }

    // A streamed answer goes as it stands now (its edits follow it with the rest).
    const live = job.data.live ? await this.live.read(job.id!) : undefined;
    const post = live ? { ...job.data, reply: withText(job.data.reply, live.text) } : job.data;
    const { sent, durationMs } = await this.deliver(job, token, { post });
    // Sent ahead of the send record on the same connection (in the same write): before the reply line moves on, so a
    // delete of this answer's question, next in line, finds this message; no round trip of its own.
    this.recordAnswer(job, sent.id).catch(() => undefined); // it logs its own failure

    // Recorded before the completion, and even when Redis is out of memory: a later run of this job (its
    // completion lost, a stall) finds it. Nothing that can fail comes before the record: a failure then would send
    // the reply again. The turn ends in the same step (one command), so the next reply of the conversation, after
    // this one, may go; both are retried together until Redis has them.
    await this.sent.record(job.id!, sent.id, (record) => this.turns.release(job, record));
    const outcome = sent.foundEarlier === true ? 'already-sent' : 'sent';
    this.logger.log({ ...this.logLine(job), status: sent.status, attempt: job.attemptsMade + 1, outcome, messageId: sent.id, durationMs });
    if (live) await this.live.shown(job.id!, live.text).catch(() => undefined); // else its first edit shows it again
    await this.policyOf(job).delivered(sent.quota);
    return { messageId: sent.id, alreadySent: sent.foundEarlier === true };
  }

  /**
   * The delivery policy admits the send (or holds it back: a pause, a probe elsewhere) and settles a failed one. One
   * bot's of several waits alone: its pause is no other bot's.
   */
  private async deliver(job: Job<ReplyJobData>, token: string | undefined, delivery: Delivery) {
    const policy = this.policyOf(job);
    const waitAlone = this.bots.several ? (ms: number) => this.waitAlone(job, token, ms) : undefined;
    const admitted = await policy.admit(job).catch((error) => inBullmqTerms(error, waitAlone));
    const started = performance.now();
    const sent = await policy.send(job, admitted, delivery).catch((error) => inBullmqTerms(error, waitAlone));
    return { sent, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * An edit of a streamed answer: shows its newest text, at most once per STREAM_EDIT_INTERVAL_MS (it waits, holding
   * its place in line, until then), budgeted and paused as any send. An edit with nothing new to show makes no call.
   * Edits are idempotent: a re-run sends the text again, never a second message.
   */
  private async edit(job: Job<ReplyJobData>, postId: string, token: string | undefined): Promise<ReplyOutcome> {
    const [messageId, live] = await Promise.all([this.sent.sentAs(postId), this.live.read(postId)]);
    if (!messageId || messageId === 'unknown' || !live || live.text === live.shown) {
      await this.turns.release(job);
      this.logger.debug({ ...this.logLine(job), outcome: 'edit-skipped', reason: !live || !messageId ? 'not posted' : 'nothing new' });
      return { messageId: messageId ?? '', alreadySent: false, skipped: true };
    }
    // The writer paces its edits by the interval already: one a few ms early (its post went a little after it was queued)
    // goes now, rather than spending a second run (and a second start of the queue's limiter) on the wait.
    const waitMs = live.shownAt + this.responders.live.editIntervalMs - Date.now();
    if (waitMs > EDIT_EARLY_MS) {
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
    const { sent, durationMs } = await this.deliver(job, token, {
      edit: { target: job.data.target, messageId, reply: withText(job.data.reply, live.text) },
    });
    await this.live.shown(postId, live.text).catch(() => undefined); // else the next edit may come sooner, no more
    await this.turns.release(job);
    this.live.countEdit(job);
    this.logger.log({
      ...this.logLine(job),
      status: sent.status,
      attempt: job.attemptsMade + 1,
      outcome: live.final ? 'edited-final' : 'edited',
      messageId,
      durationMs,
    });
    await this.policyOf(job).delivered(sent.quota);
    return { messageId, alreadySent: false };
  }

  /**
   * What this message answered, for the app webhooks' events on either (a reaction on it, an edit or delete of its
   * question). It never fails the send: a record lost to a fault costs that feedback or delete, never a message.
   */
  private async recordAnswer(job: Job<ReplyJobData>, messageId: string): Promise<void> {
    const { target, eventId, responder, question } = job.data;
    // Only a responder's answer (not an apology, not a handoff's transcript to people).
    if (!messageId || !eventId || responder === undefined) return;
    await this.answers
      .record({ conversation: target, question: eventId, replyId: job.id!, messageId, responder, text: question })
      .catch((error: Error) => this.logger.warn({ ...this.logLine(job), reason: `answer not recorded: ${error.message}` }));
  }

  /**
   * Deletes the bot's answers to a message its sender deleted, each a send of its own (budgeted, paused, retried as any).
   * A run again after a fault deletes them again: one gone already counts as deleted.
   */
  private async deleteAnswers(job: Job<ReplyJobData>, question: string, token: string | undefined): Promise<ReplyOutcome> {
    const answer = await this.answers.answerTo(job.data.target, question);
    for (const messageId of answer?.messages ?? []) {
      const { sent, durationMs } = await this.deliver(job, token, { delete: { target: job.data.target, messageId } });
      this.logger.log({ ...this.logLine(job), status: sent.status, attempt: job.attemptsMade + 1, outcome: 'deleted', messageId, durationMs });
      await this.policyOf(job).delivered(sent.quota);
    }
    await this.turns.release(job);
    return { messageId: answer?.messages.join(',') ?? '', alreadySent: false, ...(answer ? {} : { skipped: true }) };
  }

  /** One bot's reply waits as a delayed job of its own, noted as held so that its bot's lifted pause wakes it. */
  private async waitAlone(job: Job<ReplyJobData>, token: string | undefined, ms: number): Promise<void> {
    await this.botSends.get(this.bots.ofConversation(job.data.target)!.uid)?.hold(job.id!);
    await job.moveToDelayed(Date.now() + ms, token);
  }

  /** The policy of the reply's bot; a reply of a bot this deployment no longer serves is refused for good. */
  private policyOf(job: Job<ReplyJobData>): DeliveryPolicy<Job<ReplyJobData>> {
    const bot: ServedBot | undefined = this.bots.ofConversation(job.data.target);
    const policy = bot && this.policies.get(bot.uid);
    if (!policy) throw new SendRefusedError(undefined, `bot ${JSON.stringify(job.data.target.bot)} is not served by this deployment (BOTS_FILE)`);
    return policy;
  }

  /**
   * Once the completion is recorded, BullMQ's completed job guards the reply; the sent record may go. A streamed answer's
   * stays (a day): its edits, and a re-run of its turn after a crash, find its message by it.
   */
  async completed(job: Job<ReplyJobData>): Promise<void> {
    if (job.data.live || job.data.editOf !== undefined || job.data.deletesAnswersOf !== undefined) return;
    await this.sent.forget(job.id!);
  }

  /**
   * A send's log lines name the reply (its job id), its muid and conversation, and CometChat's status when it answered;
   * with several bots, its bot (the conversation's, as the webhook's and the turn lines name it).
   */
  logLine(job: Job<ReplyJobData>, error?: Error) {
    const status = error instanceof CometChatError || error instanceof SendRefusedError ? error.status : undefined;
    const { bot } = job.data.target;
    return {
      msg: 'send',
      ...(bot !== undefined ? { bot } : {}),
      replyId: job.id,
      muid: job.data.muid,
      conversation: conversationKey(job.data.target),
      ...(status !== undefined ? { status } : {}),
    };
  }

  /** The reply was refused for good: the conversation's next reply may go. */
  failedForGood(job: Job<ReplyJobData>): Promise<void> {
    return this.turns.release(job);
  }
}

/** How early an edit may go before STREAM_EDIT_INTERVAL_MS has passed since the answer last showed. */
const EDIT_EARLY_MS = 150;

/** The reply with this text (a streamed answer's, as it stands). */
function withText(reply: ReplyJobData['reply'], text: string): ReplyJobData['reply'] {
  return { ...reply, data: { ...reply.data, text } };
}

/** Held replies run now: each delayed job is promoted (one gone or running already is left as it is). */
async function wakeHeld(replies: Queue<ReplyJobData>, jobIds: string[]): Promise<void> {
  await Promise.all(
    jobIds.map(async (jobId) => {
      const job = await Job.fromId(replies, jobId);
      await job?.promote().catch(() => undefined);
    }),
  );
}
