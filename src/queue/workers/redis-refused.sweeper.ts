import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE, REPLIES_QUEUE } from '../queue-definitions';

/**
 * Redis's refusals (out of memory, a read-only or moving node, a cluster or master down) and ioredis's words for a
 * lost connection. Socket errors (ECONNREFUSED…) are left out: they may be CometChat's or a responder's.
 */
const REFUSED_BY_REDIS =
  /^(OOM|READONLY|CLUSTERDOWN|MOVED|ASK|TRYAGAIN|LOADING|MASTERDOWN|NOREPLICAS|EXECABORT)\b|^Connection is closed|Stream isn't writeable|max retries per request|All sentinels are unreachable|Too many Cluster redirections/;

export const refusedByRedis = (reason: string | undefined) => !!reason && REFUSED_BY_REDIS.test(reason);

const SWEEP_EVERY_MS = 5000;
/** The newest failures looked at per sweep: a job failed by a Redis outage is among the latest. */
const NEWEST = 200;

/**
 * A job that ran out of attempts only because Redis refused its writes did not fail: once Redis takes writes again it
 * is queued again by itself (attempts reset), so nobody has to run `failed retry` after an outage. One count per
 * queue every few seconds while nothing has failed.
 */
@Injectable()
export class RedisRefusedSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisRefusedSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @InjectQueue(EVENTS_QUEUE) private readonly events: Queue,
    @InjectQueue(REPLIES_QUEUE) private readonly replies: Queue,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweep().catch(() => undefined); // sweep() waits out its own errors
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Requeues the failed jobs Redis refused; returns how many. Errors (Redis still away) wait for the next sweep. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let requeued = 0;
    try {
      for (const queue of [this.events, this.replies]) {
        if ((await queue.getFailedCount()) === 0) continue;
        for (const job of await queue.getFailed(0, NEWEST - 1)) {
          if (!refusedByRedis(job.failedReason)) continue;
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          requeued++;
          this.logger.log(`${queue.name} job ${job.id} failed only because Redis refused it (${job.failedReason}): queued again`);
        }
      }
    } catch {
      /* Redis still refuses: the next sweep tries again */
    } finally {
      this.sweeping = false;
    }
    return requeued;
  }
}
