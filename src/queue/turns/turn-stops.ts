import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisConnections, type RedisClient } from '../../redis';
import { WorkerRedis } from '../../redis/worker-redis.service';
import { EVENTS_QUEUE } from '../queue-definitions';

/**
 * `/stop`, from any process to the one running the turn. The process that takes the `/stop` in (its webhook) finds the
 * conversation's running turn (its line's holder) and tells every process: it marks that turn's job stopped (a key, for
 * a run that starts later: the turn taken up again after a crash) and publishes `stop:<job id>` (`<prefix>:events:stops`);
 * the process running it aborts its responder at once. A message arriving for a turn that takes interruptions
 * (`onNewMessage: 'interrupt'`) is told the same way, `interrupt:<job id>`, unmarked: the turn looks behind itself.
 * Only this file knows the key, the channel and its messages.
 */
export const stopChannel = (prefix: string) => `${prefix}:${EVENTS_QUEUE}:stops`;
const stopMark = (prefix: string, jobId: string) => `${prefix}:${EVENTS_QUEUE}:stopped:${jobId}`;
/** A mark outlives any run of the turn it stops: a run is bounded by RESPONDER_TIMEOUT_MS (at most an hour). */
const STOP_MARK_TTL_MS = 2 * 3600 * 1000;
/** A stop heard for a turn this process has not started yet (it takes the turn right now) is kept this long. */
const HEARD_EARLY_MS = 10_000;

/** Why a stopped turn's responder was aborted: its signal's reason. */
export class TurnStoppedError extends Error {
  constructor() {
    super('stopped by /stop');
    this.name = 'TurnStoppedError';
  }
}

/** Marks the turn `jobId` stopped and tells every process (the api side: IngestTurns, on the events queue's connection). */
export async function stopTurn(redis: RedisClient, prefix: string, jobId: string): Promise<void> {
  const answers = await redis.multi().set(stopMark(prefix, jobId), '1', 'PX', STOP_MARK_TTL_MS).publish(stopChannel(prefix), `stop:${jobId}`).exec();
  const failed = answers?.find(([error]) => error);
  if (!answers || failed) throw failed?.[0] ?? new Error('the stop was not recorded');
}

/** Tells the turn `jobId` that a message arrived behind it (best effort: one missed is answered by the next turn). */
export async function interruptTurn(redis: RedisClient, prefix: string, jobId: string): Promise<void> {
  await redis.publish(stopChannel(prefix), `interrupt:${jobId}`);
}

/** One turn running in this process: its signal aborts when a `/stop` reaches it. */
export interface RunningTurn {
  readonly signal: AbortSignal;
  /** A `/stop` ended it. */
  readonly stopped: boolean;
  /** Called when a message arrives behind a turn that takes interruptions. */
  onInterrupt?: () => void;
  /** The turn is over (stopped or not): forget it. */
  end(): void;
}

/**
 * The worker side of `/stop`: the turns running in this process, each with an abort signal, and the one subscription
 * (made when the first turn starts) that hears which to stop.
 */
@Injectable()
export class RunningTurns {
  private readonly logger = new Logger(RunningTurns.name);
  private readonly running = new Map<string, { controller: AbortController; turn: RunningTurn }>();
  /** Stops heard for job ids not running here (yet): job id → when heard. */
  private readonly heardEarly = new Map<string, number>();
  private subscribed?: Promise<void>;

  constructor(
    private readonly connections: RedisConnections,
    private readonly redis: WorkerRedis,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The job takes its turn here. A run after an earlier one (a retry, a stalled re-run) asks whether that turn was
   * stopped meanwhile; a first run only hears (a stop sent before it started is heard early, and kept a moment).
   */
  async start(job: Job, bot: string): Promise<RunningTurn> {
    this.subscribed ??= this.subscribe().catch((error: Error) => {
      this.subscribed = undefined; // the next turn tries again
      this.logger.warn(`not hearing /stop from other processes: ${error.message}`);
    });
    await this.subscribed;
    const jobId = job.id!;
    const controller = new AbortController();
    const stopped = () => controller.signal.aborted && controller.signal.reason instanceof TurnStoppedError;
    const turn: RunningTurn = {
      signal: controller.signal,
      get stopped() {
        return stopped();
      },
      end: () => {
        if (this.running.get(jobId)?.controller !== controller) return;
        this.running.delete(jobId);
        if (stopped()) this.metrics.metrics.stops.inc({ bot });
      },
    };
    // Running before it asks: a stop heard from now on reaches it, one heard before was kept.
    this.running.set(jobId, { controller, turn });
    const ranBefore = job.attemptsMade > 0 || job.stalledCounter > 0;
    if (this.heardEarly.delete(jobId) || (ranBefore && (await this.redis.client.exists(stopMark(this.redis.prefix, jobId))) === 1)) {
      controller.abort(new TurnStoppedError());
    }
    return turn;
  }

  private async subscribe(): Promise<void> {
    const subscriber = this.connections.connect({ role: 'worker' });
    subscriber.on('message', (_channel: string, message: string) => {
      const colon = message.indexOf(':');
      this.heard(message.slice(0, colon), message.slice(colon + 1));
    });
    await subscriber.subscribe(stopChannel(this.redis.prefix));
  }

  private heard(kind: string, jobId: string): void {
    const running = this.running.get(jobId);
    if (kind === 'interrupt') {
      running?.turn.onInterrupt?.();
      return;
    }
    if (kind !== 'stop') return;
    if (running) {
      running.controller.abort(new TurnStoppedError());
      return;
    }
    const now = Date.now();
    for (const [id, at] of this.heardEarly) if (now - at > HEARD_EARLY_MS) this.heardEarly.delete(id);
    this.heardEarly.set(jobId, now);
  }
}
