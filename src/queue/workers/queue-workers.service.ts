import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { appConfig, AppConfig, queueConfig, QueueConfig, tracingConfig, TracingConfig } from '../../config/app.config';
import { ServedBots } from '../../config/served-bots';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisConnections } from '../../redis';
import { bullmqTelemetry } from '../../tracing/bullmq-telemetry';
import { ConnectionErrorLogger } from '../../redis/connection-error.logger';
import { EventsProcessor } from '../events/events.processor';
import { cappedBackoff, failsForGood } from '../job-contracts';
import { JobMetrics } from './job-metrics';
import { QUEUE_NAMES, queueDefinition, QueueName } from '../queue-definitions';
import type { QueueProcessor } from './queue-processor';
import { RepliesProcessor } from '../replies/replies.processor';
import { WorkerRedis } from '../../redis/worker-redis.service';

/**
 * Starts one BullMQ worker per queue of the table and drains them on shutdown. Built here rather than with
 * @Processor() because concurrency, lock duration and the drain bound come from validated configuration at
 * runtime, and workers need a patient connection (offline queue, unlimited retries) unlike the fail-fast producers.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly processors: Record<QueueName, QueueProcessor>;
  private workers: Worker[] = [];
  private readonly jobMetrics: JobMetrics;

  constructor(
    events: EventsProcessor,
    replies: RepliesProcessor,
    private readonly redis: RedisConnections,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(tracingConfig.KEY) private readonly tracing: TracingConfig,
    private readonly errors: ConnectionErrorLogger,
    metrics: MetricsService,
    private readonly workerRedis: WorkerRedis,
    bots: ServedBots,
  ) {
    this.processors = { events, replies };
    this.jobMetrics = new JobMetrics(metrics.metrics, QUEUE_NAMES, bots);
  }

  onApplicationBootstrap(): void {
    this.workers = QUEUE_NAMES.map((name) => this.start(name, this.processors[name]));
  }

  /** The queues whose worker is not running (for readiness): none once booted, until shutdown. */
  stopped(): string[] {
    if (this.workers.length === 0) return [...QUEUE_NAMES];
    return this.workers.filter((worker) => !worker.isRunning()).map((worker) => worker.name);
  }

  private start(queueName: QueueName, processor: QueueProcessor): Worker {
    const definition = queueDefinition(queueName);
    const worker = new Worker(queueName, (job, token) => processor.process(job, token), {
      // One connection for every worker's commands and the turns' (BullMQ gives each worker a blocking connection
      // of its own): a job's next step and its neighbours' leave together (batchWritesOnAnswers).
      connection: this.workerRedis.client,
      prefix: this.redis.prefix,
      concurrency: definition.concurrency(this.queue),
      limiter: definition.limiter?.(this.queue),
      settings: { backoffStrategy: cappedBackoff(definition.retry(this.queue).backoffMaxMs) },
      // A job whose process died is handed to another worker once its lock lapses (looked for every half lock).
      lockDuration: this.queue.lockMs,
      stalledInterval: this.queue.recoveryCheckMs,
      // A process dying mid-job is no fault of the job: it runs again as often as the queue retries a failure
      // (BullMQ's default, 1, failed a reply for good at its second death). A send record guards a reply's post.
      maxStalledCount: definition.retry(this.queue).attempts,
      // A worker sleeping out a queue-wide pause (a 429's, the breaker's: up to a minute) may hold a job it fetched
      // just before, whose lock nobody renews meanwhile: it wakes well within the lock, so that job is not taken up
      // elsewhere as stalled and then run twice (BullMQ's default, 30 s, outlasts the default 20 s lock).
      maximumRateLimitDelay: Math.floor(this.queue.lockMs / 4),
      // Tracing on: each job's processing continues the trace its add started.
      telemetry: bullmqTelemetry(this.tracing),
    });
    worker.on('completed', (job: Job) => this.jobMetrics.completed(queueName, job));
    if (processor.completed) {
      const completed = processor.completed.bind(processor);
      worker.on('completed', (job: Job) => void completed(job).catch(() => undefined)); // a leftover expires
    }
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      const forGood = failsForGood(error, job.attemptsMade, job.opts.attempts);
      this.jobMetrics.failed(queueName, job, forGood);
      // The one line for this failure, whoever raised it (the processor, a stall, a lost lock).
      const line = {
        ...processor.logLine(job, error),
        queue: queueName,
        jobId: job.id,
        attempt: job.attemptsMade,
        outcome: forGood ? 'failed' : 'retrying',
        reason: error.message,
        ...(job.processedOn ? { durationMs: Date.now() - job.processedOn } : {}),
      };
      if (!forGood) {
        this.logger.warn(line);
        return;
      }
      this.logger.error(line); // kept in the failed set
      processor.failedForGood(job).catch((handOff: Error) => {
        // Not lost: a parked follower looks again by itself at its recovery check (TurnSequencer).
        this.logger.warn(`${queueName} job ${job.id}: could not hand its turn on: ${handOff.message}`);
      });
    });
    worker.on('error', (error) => this.errors.report(`${queueName} worker`, error));
    return worker;
  }

  /**
   * Stops taking jobs and lets in-flight ones finish, bounded; unfinished ones run again after their lock lapses.
   * Then closes the workers without waiting again. BullMQ's graceful close would wait for a job that cannot finish
   * (Redis gone mid-job: its commands wait for a Redis that is not coming back) and keep renewing locks meanwhile, so a
   * process embedding the app (and Jest) would never end.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const grace = this.app.shutdownGraceMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), grace)));
    const drained = Promise.all(this.workers.map((w) => w.pause()));
    const result = await Promise.race([drained.then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    await Promise.all(this.workers.map((w) => w.close(true)));
    if (result === 'timeout') {
      this.logger.warn(`jobs still running after ${grace} ms; they will run again once their locks lapse`);
      // Should one finish after all, BullMQ's pause reconnects the worker's blocking connection: closed again then.
      drained.then(() => Promise.all(this.workers.map((w) => w.disconnect().catch(() => undefined)))).catch(() => undefined);
    }
  }
}
