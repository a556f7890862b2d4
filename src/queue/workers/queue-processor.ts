import type { Job } from 'bullmq';

/** What QueueWorkers runs for one queue of the table (queue-definitions.ts). */
export interface QueueProcessor<Data = unknown, Result = unknown> {
  /** Runs the job; a processor whose jobs take turns hands the turn on itself before it returns. */
  process(job: Job<Data>, token?: string): Promise<Result>;
  /** Called once BullMQ has recorded the job failed for good (whoever failed it). */
  failedForGood(job: Job<Data>): Promise<void>;
  /** Called once BullMQ has recorded the job completed. */
  completed?(job: Job<Data>): Promise<void>;
  /**
   * What every log line of a run of the job starts with: its message ('turn', 'send') and the fields naming the job's
   * subject. The processor writes the line of a run that succeeded; QueueWorkers the one of a run that failed (with
   * its error), once.
   */
  logLine(job: Job<Data>, error?: Error): { msg: string } & Record<string, unknown>;
}
