import type { Job } from 'bullmq';

/** What QueueWorkers runs for one queue of the table (queue-definitions.ts). */
export interface QueueProcessor<Data = unknown, Result = unknown> {
  process(job: Job<Data>, token?: string): Promise<Result>;
  /** Called once BullMQ has recorded the job completed, or failed for good. */
  settled(job: Job<Data>): Promise<void>;
}
