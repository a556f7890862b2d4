import { Job, Queue } from 'bullmq';
import { conversationOf } from '../messages';
import { EVENTS_QUEUE, QUEUE_NAMES, QueueName } from '../queue/queue-definitions';
import { CliError } from './exit-codes';
import { requireRedis } from './redis-probe';
import { RedisTopology } from '../config/app.config';
import { connectRedis, RedisClient } from '../redis';

export type QueueChoice = QueueName | 'all';

export const queuesOf = (choice: QueueChoice): QueueName[] => (choice === 'all' ? [...QUEUE_NAMES] : [choice]);

/** A failed job as `failed list` shows it. */
export interface FailedJobSummary {
  queue: QueueName;
  id: string;
  name: string;
  attempts: number;
  failedReason: string;
  finishedOn: string | null;
  /** events: the message that was not answered. */
  message?: { id?: string; sender?: string; conversation?: string; text?: string; kind?: string };
  /** replies: where the reply was going, and its client id. */
  reply?: { target?: string; muid?: string; eventId?: string; text?: string; kind?: string };
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** What a failed job's data may hold, read without trusting it: a job may be older than the current contracts. */
interface FailedJobData {
  /** events: the callback's message. */
  data?: { id?: unknown; sender?: unknown; receiverType?: unknown; category?: string; type?: string; data?: { text?: unknown } };
  /** replies: the reply and where it was going. */
  target?: unknown;
  muid?: unknown;
  eventId?: unknown;
  reply?: { category?: string; type?: string; data?: { text?: unknown } };
}

/**
 * The bot a job is for, lowercased, when its data says: an event's callback names it in `bot`; a reply's target in
 * `target.bot` (set in deployments of several bots). Read defensively: a job may be older than the field.
 */
export function jobBot(queue: QueueName, data: unknown): string | undefined {
  const field = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  const bot = queue === EVENTS_QUEUE ? field(data, 'bot') : field(field(data, 'target'), 'bot');
  return typeof bot === 'string' ? bot.toLowerCase() : undefined;
}

/** Which failed jobs a command acts on (those of one bot); undefined: every job. */
export type JobFilter = (queue: QueueName, job: Job) => boolean;

const PAGE = 500;

export function summarise(queue: QueueName, job: Job): FailedJobSummary {
  const data = (job.data ?? {}) as FailedJobData;
  const conversation = (c: unknown) => {
    if (!c || typeof c !== 'object') return undefined;
    const { type, id } = c as { type?: string; id?: string };
    return `${type}:${id}`;
  };
  const summary: FailedJobSummary = {
    queue,
    id: job.id ?? '',
    name: job.name,
    attempts: job.attemptsMade,
    failedReason: job.failedReason ?? '',
    finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
  if (queue === EVENTS_QUEUE) {
    // The job holds the callback as CometChat sent it.
    const message = data.data ?? {};
    summary.message = {
      id: str(message.id),
      sender: str(message.sender),
      conversation: typeof message.receiverType === 'string' ? conversation(conversationOf(data as never)) : undefined,
      text: str(message.data?.text),
      kind: message.category ? `${message.category}/${message.type}` : undefined,
    };
  } else {
    summary.reply = {
      target: conversation(data.target),
      muid: str(data.muid),
      eventId: str(data.eventId),
      text: str(data.reply?.data?.text),
      kind: data.reply ? `${data.reply.category}/${data.reply.type}` : undefined,
    };
  }
  return summary;
}

/** The failed sets of the service's two queues, through BullMQ on the service's Redis and QUEUE_PREFIX. */
export class FailedJobs {
  private readonly queues = new Map<QueueName, Queue>();
  private connection?: RedisClient;

  private constructor(
    private readonly topology: RedisTopology,
    private readonly prefix: string,
  ) {}

  static async open(topology: RedisTopology, prefix: string): Promise<FailedJobs> {
    await requireRedis(topology);
    return new FailedJobs(topology, prefix);
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      this.connection ??= connectRedis(this.topology, { role: 'commands' });
      this.connection.on('error', () => undefined);
      queue = new Queue(name, { prefix: this.prefix, connection: this.connection });
      queue.on('error', () => undefined); // surfaced by the command that fails
      this.queues.set(name, queue);
    }
    return queue;
  }

  async count(name: QueueName): Promise<number> {
    return this.queue(name).getFailedCount();
  }

  /** The most recent failures first, at most `limit` per queue. */
  async list(name: QueueName, limit: number): Promise<FailedJobSummary[]> {
    const jobs = await this.queue(name).getFailed(0, limit - 1);
    return jobs.filter((job): job is Job => job !== undefined).map((job) => summarise(name, job));
  }

  /** The failed jobs that pass `filter`, most recent first: how many, and the first `limit` of them. */
  async listMatching(name: QueueName, limit: number, filter: JobFilter): Promise<{ count: number; jobs: FailedJobSummary[] }> {
    const queue = this.queue(name);
    const jobs: FailedJobSummary[] = [];
    let count = 0;
    // A bot's jobs are found only by reading each job's data: page through the failed set (at most 10,000 jobs).
    for (let start = 0; ; start += PAGE) {
      const page = await queue.getFailed(start, start + PAGE - 1);
      for (const job of page) {
        if (!job || !filter(name, job)) continue;
        count++;
        if (jobs.length < limit) jobs.push(summarise(name, job));
      }
      if (page.length < PAGE) return { count, jobs };
    }
  }

  /** The failed job with this id, searched in the given queues; a CliError (exit 1) names what is wrong. */
  async find(id: string, names: QueueName[]): Promise<{ queue: QueueName; job: Job }> {
    const found: Array<{ queue: QueueName; job: Job }> = [];
    for (const name of names) {
      const job = await Job.fromId(this.queue(name), id);
      if (job) found.push({ queue: name, job });
    }
    const where = names.length > 1 ? 'events or replies' : names[0];
    if (found.length === 0) throw new CliError(`no job ${id} in ${where} (see \`failed list\`)`);
    if (found.length > 1) throw new CliError(`job id ${id} exists in both queues: pass --queue events or --queue replies`);
    const [hit] = found;
    const state = await hit.job.getState();
    if (state !== 'failed') throw new CliError(`job ${id} in ${hit.queue} is ${state}, not failed`);
    return hit;
  }

  /**
   * Back to waiting, with its attempts reset so it gets the whole retry budget again (its cause presumably
   * fixed).
   */
  async retry(job: Job): Promise<void> {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async discard(job: Job): Promise<void> {
    await job.remove();
  }

  /**
   * Applies `action` to every job failed at the moment of the call (a snapshot of ids, so a job that fails
   * again meanwhile is not retried in a loop), of those `filter` passes. Returns the ids done and the ids that could
   * not be.
   */
  async forEachFailed(name: QueueName, action: (job: Job) => Promise<void>, filter?: JobFilter): Promise<{ done: string[]; skipped: string[] }> {
    const queue = this.queue(name);
    const ids = await queue.getRanges(['failed'], 0, -1);
    const done: string[] = [];
    const skipped: string[] = [];
    for (const id of ids) {
      const job = await Job.fromId(queue, id);
      if (job && filter && !filter(name, job)) continue; // another bot's
      try {
        if (!job || (await job.getState()) !== 'failed') throw new Error('no longer failed');
        await action(job);
        done.push(id);
      } catch {
        skipped.push(id);
      }
    }
    return { done, skipped };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
