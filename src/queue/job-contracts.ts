import { BackoffStrategy, JobsOptions, UnrecoverableError } from 'bullmq';
import type { BotReply, CometChatCallback, Conversation } from '../messages';

/**
 * The payload of an `events` job: the callback exactly as CometChat sent it, stored once. The worker builds the
 * responders' BotEvent from it (its `receivedAt` is the job's timestamp).
 */
export type EventJobData = CometChatCallback;

/** The payload of a `replies` job: one message to send. */
export interface ReplyJobData {
  eventId: string;
  index: number;
  /** The turn of the conversation that said it: replies are sent in turn order, then in index order. */
  turn: number;
  target: Conversation;
  reply: BotReply;
  /** Deterministic client id, equal to the job id, so a resend is recognisable. */
  muid: string;
  /** Queued holding its conversation's reply turn already (the line was free): its first run need not ask. */
  granted?: boolean;
  /** How many times CometChat answered 429 for this reply (bounded; does not use attempts). */
  rateLimited?: number;
  /** When this reply first met a CometChat outage (a failed send, or held back by the open breaker), epoch ms. */
  failingSince?: number;
  /** Its last send got no answer though it may have reached CometChat (a timeout, a reset): look before sending again. */
  outcomeUnknown?: boolean;
  /** The job's stall count (BullMQ's) when its last send's outcome was known: a higher count means a process died since. */
  stallsKnown?: number;
  /** When the callback that led to it was stored (its events job's timestamp), epoch ms: for the reply latency. */
  receivedAt?: number;
  /**
   * A streamed answer's post (LiveReplies): it goes with the answer's text as it stands then, and its send record is kept
   * for its edits.
   */
  live?: boolean;
  /** An edit of the streamed answer posted by this reply job (its id): it shows that answer's newest text. */
  editOf?: string;
  /** The responder that said it: recorded with the answer (AnswerRecords), so feedback on it names the responder. */
  responder?: string;
  /** The first reply of an answer: the text of the message it answers, recorded with it (an edit's `before`). */
  question?: string;
  /**
   * Deletes the bot's answers to this message (deleted since): nothing is posted. Which messages is read when it runs,
   * after the answers queued before it in the conversation's reply line went out.
   */
  deletesAnswersOf?: string;
}

/**
 * BullMQ job ids must not contain ':' and must not be all digits; CometChat ids are digits, hence the prefixes. A reply
 * of a bot of several carries its bot (`reply-123-0.support-bot`): one message id answered by two bots is two replies.
 */
export const replyJobId = (eventId: string, index: number | 'apology', bot?: string) =>
  `reply-${eventId}-${index}${bot === undefined ? '' : `.${bot}`}`;

/**
 * What one message is deduplicated by (BullMQ's deduplication id): its id, and its bot in a deployment of several, where
 * one message delivered to two bots (a group with both) is two messages.
 */
export const messageDeduplicationId = (conversation: Conversation, messageId: string) =>
  conversation.bot === undefined ? messageId : `${conversation.bot}:${messageId}`;

const HOUR = 60 * 60;
export const DEDUPLICATION_TTL_MS = 24 * HOUR * 1000;

export interface RetryPolicy {
  /** Runs before the job is kept as failed; a time budget may end it sooner (replies). */
  attempts: number;
  /** First retry delay; each later one doubles up to `backoffMaxMs`, with up to half of it taken off at random. */
  backoffMs: number;
  backoffMaxMs: number;
}

/** The worker side of the retry policy (BullMQ's exponential backoff has no ceiling). */
export const CAPPED_BACKOFF = 'capped-exponential';

export const cappedBackoff =
  (maxMs: number): BackoffStrategy =>
  (attemptsMade, _type, error, job) => {
    const first = job?.opts.backoff && typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 1000) : 1000;
    const ceiling = Math.min(first * 2 ** Math.min(attemptsMade - 1, 40), maxMs);
    const backoff = Math.floor(ceiling * (0.5 + Math.random() * 0.5));
    // A failure that says when to come back (RetryLaterError: a model's 429 Retry-After) is not retried sooner.
    const asked = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    return typeof asked === 'number' && asked > backoff ? asked : backoff;
  };

export const jobOptions = ({ attempts, backoffMs }: RetryPolicy): JobsOptions => ({
  attempts,
  backoff: { type: CAPPED_BACKOFF, delay: backoffMs },
  // A day of completed jobs for a look back (a completed reply's id also stops a re-run from queueing it
  // again), failed ones a week for inspection and replay; both capped by count so a flood cannot fill Redis.
  removeOnComplete: { age: 24 * HOUR, count: 10_000 },
  removeOnFail: { age: 7 * 24 * HOUR, count: 10_000 },
});

/**
 * Whether a failure ends the job for good: an UnrecoverableError (TurnFailedError and the permanent CometChat
 * refusals are ones), or the last attempt. `attemptsMade` counts the attempt that failed.
 */
export const failsForGood = (error: unknown, attemptsMade: number, attempts = 1) => error instanceof UnrecoverableError || attemptsMade >= attempts;
