import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { queueConfig, QueueConfig } from '../../config/app.config';
import type { Conversation } from '../../messages';
import type { ReplyJobData } from '../job-contracts';
import { BOT_REPLY_JOB, REPLIES_QUEUE } from '../queue-definitions';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { LineCommands, orderedMember, TurnRecord } from './line-commands';
import { TurnSequencer } from './turn-sequencer';

export type { TurnRecord } from './line-commands';

/** A reply's line: the turn of the conversation that said it, then its index in that turn (jobs queued earlier sort first). */
const memberOf = (job: { id?: string; data: ReplyJobData }) => orderedMember(job.data.turn ?? 0, job.data.index, job.id!);

/**
 * The replies queue's lines: a conversation's replies are sent one at a time, in the order their turns said them,
 * across every worker and process. Events queue them in turn; the replies worker enters and releases.
 */
@Injectable()
export class ReplyTurns {
  private readonly sequencer: TurnSequencer;

  constructor(
    redis: WorkerRedis,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue<ReplyJobData>,
    @Inject(queueConfig.KEY) queue: QueueConfig,
  ) {
    this.sequencer = new TurnSequencer({
      queue: replies,
      commands: new LineCommands(redis.client, redis.prefix, REPLIES_QUEUE),
      recoveryCheckMs: queue.recoveryCheckMs,
      jobIdOf: async (jobId) => jobId,
    });
  }

  /**
   * Adds one turn's replies (deterministic job ids), each in its place in the conversation's reply line: the first
   * runnable, holding the turn already, when the line is free; the others parked (delayed) until their turn.
   * Idempotent: a re-run (`firstRun` false) adds and places nothing twice, and takes no turn at once (an existing job is
   * not added again, so it could not take a turn given to it).
   */
  async queue(conversation: Conversation, replies: Array<{ jobId: string; data: ReplyJobData }>, { firstRun }: { firstRun: boolean }): Promise<void> {
    const places = replies.map(({ jobId, data }) => ({ member: memberOf({ id: jobId, data }), jobId }));
    const parked = { delay: this.sequencer.recoveryCheckMs };
    await this.sequencer.queueInTurn(
      conversation,
      places,
      async (runnableFirst) => {
        const jobs = replies.map(({ jobId, data }, n) =>
          n === 0 && runnableFirst
            ? { name: BOT_REPLY_JOB, data: { ...data, granted: true }, opts: { jobId } }
            : { name: BOT_REPLY_JOB, data, opts: { jobId, ...parked } },
        );
        if (jobs.length === 1) await this.replies.add(jobs[0].name, jobs[0].data, jobs[0].opts);
        else await this.replies.addBulk(jobs);
      },
      { mayGrant: firstRun },
    );
  }

  /**
   * The reply's turn: parks the job and throws DelayedError when it is not its turn yet. A reply queued with its turn
   * in hand skips asking on its first run; any later run (a retry, a stall) asks.
   */
  async enter(job: Job<ReplyJobData>, token: string | undefined): Promise<void> {
    if (job.data.granted && job.attemptsStarted <= 1) return;
    await this.sequencer.enter(job, token, job.data.target, job.id!, memberOf(job));
  }

  /** Ends the reply's turn (sent, or refused for good); with `record`, that key is written in the same step. */
  release(job: Job<ReplyJobData>, record?: TurnRecord): Promise<void> {
    return this.sequencer.release(job.data.target, job.id!, record);
  }
}
