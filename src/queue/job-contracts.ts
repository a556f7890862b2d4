import type { JobsOptions } from 'bullmq';

export const EVENTS_QUEUE = 'events';
export const REPLIES_QUEUE = 'replies';
export const BOT_EVENT_JOB = 'bot-event';
export const BOT_REPLY_JOB = 'bot-reply';

export interface Attachment {
  url: string;
  name?: string;
  mimeType?: string;
  extension?: string;
  size?: number;
}

/** Where a reply goes: the sender for one-to-one chats, the group for group chats. */
export interface Conversation {
  type: 'user' | 'group';
  /** The peer user's UID (one-to-one) or the group's GUID. */
  id: string;
}

/** A CometChat callback normalised for responders: the payload of an `events` job. */
export interface BotEvent {
  /** CometChat's message id (a string of digits). */
  id: string;
  bot: string;
  sender: { uid: string; name?: string };
  conversation: Conversation;
  category: string;
  type: string;
  /** The text with the bot's mention tokens removed and whitespace trimmed; absent for non-text messages. */
  text?: string;
  mentionsBot: boolean;
  parentId?: string;
  attachments: Attachment[];
  metadata?: Record<string, unknown>;
  customData?: Record<string, unknown>;
  sentAt?: number;
  receivedAt: number;
  /** The callback exactly as CometChat sent it. */
  raw: Record<string, unknown>;
}

/** What a responder asks the bot to say: the body of Send Bot Message, less the receiver. */
export interface BotReply {
  category: 'message' | 'custom' | 'interactive';
  type: string;
  data: Record<string, unknown>;
  /** Post into this message's thread (CometChat's threaded-message endpoint) instead of the conversation. */
  parentId?: string;
}

/** The payload of a `replies` job: one message to send. */
export interface ReplyJobData {
  eventId: string;
  index: number;
  target: Conversation;
  reply: BotReply;
  /** Deterministic client id, equal to the job id, so a resend is recognisable. */
  muid: string;
  /** How many times CometChat answered 429 for this reply (bounded; does not use attempts). */
  rateLimited?: number;
}

/** BullMQ job ids must not contain ':' and must not be all digits; CometChat ids are digits, hence the prefixes. */
export const replyJobId = (eventId: string, index: number | 'apology') => `reply-${eventId}-${index}`;

const HOUR = 60 * 60;
export const DEDUPLICATION_TTL_MS = 24 * HOUR * 1000;

const retention: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 24 * HOUR, count: 10_000 },
  // Failed work is kept a week for inspection and replay.
  removeOnFail: { age: 7 * 24 * HOUR },
};

export interface RetryPolicy {
  attempts: number;
  /** First retry delay; each later one doubles, with up to half of it taken off at random (jitter). */
  backoffMs: number;
}

export const jobOptions = ({ attempts, backoffMs }: RetryPolicy): JobsOptions => ({
  attempts,
  backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
  ...retention,
});

/** A reply answered 429 this many times in a row is failed (kept) rather than retried forever. */
export const MAX_RATE_LIMITED = 50;
