import { UnrecoverableError } from 'bullmq';

/** Thrown by a responder to fail a turn for good: no retries (the apology reply, if configured, follows). */
export class TurnFailedError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'TurnFailedError';
  }
}

/** A responder ran past its time: the turn fails and the conversation moves on. */
export class ResponderTimeoutError extends TurnFailedError {
  constructor(responder: string, timeoutMs: number) {
    super(`responder "${responder}" did not answer within ${timeoutMs} ms`);
    this.name = 'ResponderTimeoutError';
  }
}
