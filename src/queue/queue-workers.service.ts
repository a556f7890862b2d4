import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Processor, Worker } from 'bullmq';
import { appConfig, AppConfig, queueConfig, QueueConfig, redisConfig, RedisConfig } from '../config/app.config';
import { ConnectionErrorLogger } from './connection-error.logger';
import { EventsProcessor } from './events.processor';
import { EVENTS_QUEUE, REPLIES_QUEUE } from './job-contracts';
import { RepliesProcessor } from './replies.processor';
import { reconnectDelay } from './redis-client';

/**
 * Starts one BullMQ worker per queue and drains them on shutdown. Built here rather than with @Processor()
 * because concurrency, lock duration and the drain bound come from validated configuration at runtime,
 * and workers need a patient connection (offline queue, unlimited retries) unlike the fail-fast producers.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private workers: Worker[] = [];

  constructor(
    private readonly events: EventsProcessor,
    private readonly replies: RepliesProcessor,
    @Inject(redisConfig.KEY) private readonly redis: RedisConfig,
    @Inject(queueConfig.KEY) private readonly queue: QueueConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    private readonly errors: ConnectionErrorLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.workers = [
      this.start(EVENTS_QUEUE, (job, token) => this.events.process(job, token), this.queue.eventsConcurrency),
      this.start(REPLIES_QUEUE, (job, token) => this.replies.process(job, token), this.queue.repliesConcurrency),
    ];
  }

  private start(queueName: string, processor: Processor, concurrency: number): Worker {
    const worker = new Worker(queueName, processor, {
      connection: { url: this.redis.url, maxRetriesPerRequest: null, retryStrategy: reconnectDelay },
      prefix: this.redis.prefix,
      concurrency,
      // A job whose process died is handed to another worker once its lock lapses.
      lockDuration: this.queue.lockMs,
      stalledInterval: this.queue.lockMs,
    });
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
      const log = `${queueName} job ${job.id} attempt ${job.attemptsMade} failed: ${error.message}`;
      if (final) this.logger.error(`${log}; kept in the failed set`);
      else this.logger.warn(`${log}; will retry`);
    });
    worker.on('error', (error) => this.errors.report(`${queueName} worker`, error));
    return worker;
  }

  /** Stops taking jobs and lets in-flight ones finish, bounded; unfinished ones run again after their lock lapses. */
  async beforeApplicationShutdown(): Promise<void> {
    const grace = this.app.shutdownGraceMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), grace)));
    const closed = Promise.all(this.workers.map((w) => w.close())).then(() => 'closed' as const);
    const result = await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.logger.warn(`jobs still running after ${grace} ms; they will run again once their locks lapse`);
    }
  }
}
