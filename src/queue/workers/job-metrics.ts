import type { Job } from 'bullmq';
import { JOB_OUTCOMES, Metrics } from '../../metrics/metric-definitions';
import type { EventOutcome } from '../events/events.processor';
import type { ReplyJobData } from '../job-contracts';
import { EVENTS_QUEUE, QueueName, REPLIES_QUEUE } from '../queue-definitions';
import type { ReplyOutcome } from '../replies/replies.processor';

/**
 * What the workers' job events come to in metrics: each run's outcome, a completed turn's duration by responder,
 * and a confirmed reply's latency from its callback being stored.
 */
export class JobMetrics {
  constructor(
    private readonly metrics: Metrics,
    queues: readonly QueueName[],
  ) {
    // Every series from zero, so a rate is right from the first job.
    for (const queue of queues) for (const outcome of JOB_OUTCOMES) metrics.jobs.inc({ queue, outcome }, 0);
  }

  /** BullMQ recorded the job completed (`finishedOn` is set; `processedOn` is this run's start). */
  completed(queue: QueueName, job: Job): void {
    this.metrics.jobs.inc({ queue, outcome: 'completed' });
    const outcome = job.returnvalue as EventOutcome | undefined;
    // A message answered by a coalesced turn had no turn of its own.
    if (queue === EVENTS_QUEUE && job.processedOn && job.finishedOn && !outcome?.coalescedInto) {
      const responder = outcome?.responder ?? 'none';
      this.metrics.turnDuration.observe({ responder }, Math.max(job.finishedOn - job.processedOn, 0) / 1000);
    }
    if (queue === REPLIES_QUEUE) {
      const { receivedAt } = job.data as ReplyJobData;
      // One CometChat confirmed on an earlier run (whose completion was lost) was confirmed when, we do not know.
      if (receivedAt && !(job.returnvalue as ReplyOutcome | undefined)?.alreadySent) {
        this.metrics.replyLatency.observe(Math.max((job.finishedOn ?? Date.now()) - receivedAt, 0) / 1000);
      }
    }
  }

  /** A run failed: `forGood` when BullMQ keeps it in the failed set, else it runs again. */
  failed(queue: QueueName, forGood: boolean): void {
    this.metrics.jobs.inc({ queue, outcome: forGood ? 'failed' : 'retried' });
  }
}
