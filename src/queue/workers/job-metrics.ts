import type { Job } from 'bullmq';
import type { ServedBot, ServedBots } from '../../config/served-bots';
import { botLabel, JOB_OUTCOMES, Metrics } from '../../metrics/metric-definitions';
import type { EventOutcome } from '../events/events.processor';
import type { EventJobData, ReplyJobData } from '../job-contracts';
import { EVENTS_QUEUE, QueueName, REPLIES_QUEUE } from '../queue-definitions';
import type { ReplyOutcome } from '../replies/replies.processor';

/**
 * What the workers' job events come to in metrics, by bot: each run's outcome, a completed turn's duration by
 * responder, and a confirmed reply's latency from its callback being stored (and a turn's first reply's, as the time
 * to first visible text). Edits of streamed answers carry no callback time: they count in neither.
 */
export class JobMetrics {
  constructor(
    private readonly metrics: Metrics,
    queues: readonly QueueName[],
    private readonly bots: ServedBots,
  ) {
    // Every series from zero, so a rate is right from the first job.
    for (const { uid: bot } of bots.all) for (const queue of queues) for (const outcome of JOB_OUTCOMES) metrics.jobs.inc({ bot, queue, outcome }, 0);
  }

  /** BullMQ recorded the job completed (`finishedOn` is set; `processedOn` is this run's start). */
  completed(queue: QueueName, job: Job): void {
    const bot = botLabel(this.botOf(queue, job));
    this.metrics.jobs.inc({ bot, queue, outcome: 'completed' });
    const outcome = job.returnvalue as EventOutcome | undefined;
    // A message answered by a coalesced turn had no turn of its own.
    if (queue === EVENTS_QUEUE && job.processedOn && job.finishedOn && !outcome?.coalescedInto) {
      const responder = outcome?.responder ?? 'none';
      this.metrics.turnDuration.observe({ bot, responder }, Math.max(job.finishedOn - job.processedOn, 0) / 1000);
    }
    if (queue === REPLIES_QUEUE) {
      const { receivedAt, index } = (job.data ?? {}) as Partial<ReplyJobData>;
      // One CometChat confirmed on an earlier run (whose completion was lost) was confirmed when, we do not know.
      if (receivedAt && !(job.returnvalue as ReplyOutcome | undefined)?.alreadySent) {
        const seconds = Math.max((job.finishedOn ?? Date.now()) - receivedAt, 0) / 1000;
        this.metrics.replyLatency.observe({ bot }, seconds);
        // A turn's first reply (a streamed answer's post among them) is when the user first sees text.
        if (index === 0) this.metrics.firstVisible.observe({ bot }, seconds);
      }
    }
  }

  /** A run failed: `forGood` when BullMQ keeps it in the failed set, else it runs again. */
  failed(queue: QueueName, job: Job, forGood: boolean): void {
    this.metrics.jobs.inc({ bot: botLabel(this.botOf(queue, job)), queue, outcome: forGood ? 'failed' : 'retried' });
  }

  /**
   * The served bot a job is for: with one bot, that one; with several, the one an event's callback or a reply's target
   * names. Read defensively: a job that is no callback or reply at all is still counted, under no bot.
   */
  private botOf(queue: QueueName, job: Job): ServedBot | undefined {
    if (!this.bots.several) return this.bots.all[0];
    const data = job.data as EventJobData | Partial<ReplyJobData> | undefined;
    if (typeof data !== 'object' || data === null) return undefined;
    if (queue === EVENTS_QUEUE) return this.bots.ofCallback(data as EventJobData);
    const { target } = data as Partial<ReplyJobData>;
    return typeof target === 'object' && target !== null ? this.bots.ofConversation(target) : undefined;
  }
}
