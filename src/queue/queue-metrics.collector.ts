import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { queueConfig, QueueConfig } from '../config/app.config';
import { Metrics, QUEUE_STATES } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';
import { QUEUE_NAMES, queueDefinition, QueueName } from './queue-definitions';

interface Watched {
  name: QueueName;
  queue: Queue;
  /** The limiter's cap: the queue is paused when its limiter count reaches it (a 429 sets it past any cap). */
  limiterMax?: number;
}

/**
 * Each queue's depth by state, the age of its next waiting job and, for a rate-limited queue, the pause left: read
 * at scrape time through BullMQ's public API, in a fixed number of Redis calls whatever the backlog. Per queue,
 * one script counts every state, one fetches the next waiting job (then its hash) and one reads the pause; the
 * queues' calls run at once (each queue has its own connection), so a scrape costs two round trips of latency.
 */
@Injectable()
export class QueueMetricsCollector implements OnModuleInit {
  private readonly metrics: Metrics;
  private watched: Watched[] = [];

  constructor(
    private readonly modules: ModuleRef,
    metrics: MetricsService,
    @Inject(queueConfig.KEY) private readonly config: QueueConfig,
  ) {
    this.metrics = metrics.metrics;
    metrics.beforeScrape(() => this.collect());
  }

  onModuleInit(): void {
    this.watched = QUEUE_NAMES.map((name) => ({
      name,
      queue: this.modules.get<Queue>(getQueueToken(name), { strict: false }),
      limiterMax: queueDefinition(name).limiter?.(this.config).max,
    }));
  }

  async collect(): Promise<void> {
    await Promise.all(this.watched.map((watched) => this.collectQueue(watched)));
  }

  private async collectQueue({ name, queue, limiterMax }: Watched): Promise<void> {
    const { queueJobs, queueOldestWaitingAge, queueStatsUp, rateLimitPause } = this.metrics;
    try {
      const [counts, [next], pauseMs] = await Promise.all([
        queue.getJobCounts(...QUEUE_STATES),
        queue.getWaiting(0, 0),
        limiterMax === undefined ? undefined : queue.getRateLimitTtl(limiterMax),
      ]);
      for (const state of QUEUE_STATES) queueJobs.set({ queue: name, state }, counts[state] ?? 0);
      queueOldestWaitingAge.set({ queue: name }, next ? Math.max(Date.now() - next.timestamp, 0) / 1000 : 0);
      if (pauseMs !== undefined) rateLimitPause.set({ queue: name }, Math.max(pauseMs, 0) / 1000);
      queueStatsUp.set({ queue: name }, 1);
    } catch {
      // Figures Redis did not give are left out rather than shown stale; queue_stats_up says why they are missing.
      for (const state of QUEUE_STATES) queueJobs.remove({ queue: name, state });
      queueOldestWaitingAge.remove({ queue: name });
      if (limiterMax !== undefined) rateLimitPause.remove({ queue: name });
      queueStatsUp.set({ queue: name }, 0);
    }
  }
}
