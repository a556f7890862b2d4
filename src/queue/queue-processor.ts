import type { Job } from 'bullmq';

/** What QueueWorkers runs for one queue of the table (queue-definitions.ts). */
export interface QueueProcessor<Data = unknown, Result = unknown> {
  /** Runs the job; a processor whose jobs take turns hands the turn on itself before it returns. */
  process(job: Job<Data>, token?: string): Promise<Result>;
  /** Called once BullMQ has recorded the job failed for good (whoever failed it). */
  failedForGood(job: Job<Data>): Promise<void>;
  /** Called once BullMQ has recorded the job completed. */
  completed?(job: Job<Data>): Promise<void>;
}
