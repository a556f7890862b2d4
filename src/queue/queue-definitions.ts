import type { QueueConfig } from '../config/app.config';
import type { RetryPolicy } from './job-contracts';

/** A cap that never binds: BullMQ honours a queue-wide pause (Queue.rateLimit) only on a queue with a limiter. */
const UNCAPPED = 1e12;

interface QueueDefinition {
  jobName: string;
  retry: (config: QueueConfig) => RetryPolicy;
  concurrency: (config: QueueConfig) => number;
  /** Jobs started per `duration` ms across every worker (BullMQ's limiter); none when absent. */
  limiter?: (config: QueueConfig) => { max: number; duration: number };
}

/**
 * The service's queues, declared once: the module registers them, the workers, listeners, health and CLI go
 * through this table. A new queue is one entry here and its processor.
 */
export const QUEUES = {
  /** Callbacks, one job per message; a turn of its conversation runs the responders. */
  events: {
    jobName: 'bot-event',
    retry: (config: QueueConfig) => config.events,
    concurrency: (config: QueueConfig) => config.eventsConcurrency,
  },
  /** What the responders said, one job per message to send to CometChat. */
  replies: {
    jobName: 'bot-reply',
    retry: (config: QueueConfig) => config.replies,
    concurrency: (config: QueueConfig) => config.repliesConcurrency,
    // Across every worker on the Redis: the app's CometChat plan, and the pause a 429 asks for.
    limiter: (config: QueueConfig) => ({ max: config.maxSendsPerMinute ?? UNCAPPED, duration: 60_000 }),
  },
} as const satisfies Record<string, QueueDefinition>;

export type QueueName = keyof typeof QUEUES;
export const queueDefinition = (name: QueueName): QueueDefinition => QUEUES[name];
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

export const EVENTS_QUEUE = 'events' satisfies QueueName;
export const REPLIES_QUEUE = 'replies' satisfies QueueName;
export const BOT_EVENT_JOB = QUEUES.events.jobName;
export const BOT_REPLY_JOB = QUEUES.replies.jobName;
/**
 * A `/stop` that stopped a running turn as it arrived (see TurnStops): stored like any message (deduplicated, kept),
 * outside its conversation's line, and over once a worker takes it up.
 */
export const STOP_REQUEST_JOB = 'stop-request';
