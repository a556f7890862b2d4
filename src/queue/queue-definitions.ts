import type { QueueConfig } from '../config/app.config';

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
  },
} as const;

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

export const EVENTS_QUEUE = 'events' satisfies QueueName;
export const REPLIES_QUEUE = 'replies' satisfies QueueName;
export const BOT_EVENT_JOB = QUEUES.events.jobName;
export const BOT_REPLY_JOB = QUEUES.replies.jobName;
