import { UnrecoverableError } from 'bullmq';

/** Thrown by a responder to fail a turn for good: no retries (the apology reply, if configured, follows). */
export class TurnFailedError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'TurnFailedError';
  }
}

/**
 * Thrown by a responder to have its turn retried no sooner than `retryAfterMs` (an API's 429 `Retry-After`, say);
 * the usual backoff applies when it is longer. Counts as an attempt, as any failure does.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** A responder ran past its time: the turn fails and the conversation moves on. */
export class ResponderTimeoutError extends TurnFailedError {
  constructor(responder: string, timeoutMs: number) {
    super(`responder "${responder}" did not answer within ${timeoutMs} ms`);
    this.name = 'ResponderTimeoutError';
  }
}
