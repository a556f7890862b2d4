import { AxiosError, isAxiosError } from 'axios';
import { headerOf, resetInMs, retryAfterMs } from '../common/retry-after';

export type FailureKind = 'rate-limited' | 'transient' | 'permanent';

/** A failed CometChat call, classified for the retry policy. */
export class CometChatError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    /** CometChat's error body, as sent (its envelope is undocumented). */
    readonly body?: unknown,
    /** For 429: how long CometChat asked us to wait. */
    readonly retryAfterMs?: number,
    /** No answer came back, though the request may have reached CometChat (a timeout, a reset): it may have been stored. */
    readonly outcomeUnknown = false,
    /** For 429: what the answer said is left of the app's quota (`remaining: 0`: the app's, not the bot's, limit). */
    readonly quota?: RateLimitQuota,
  ) {
    super(message);
    this.name = 'CometChatError';
  }
}

// The header reading is shared with other callers of rate-limited APIs (the LLM responder).
export { retryAfterMs } from '../common/retry-after';

/** What CometChat says is left of the app's request quota, when it says so. */
export interface RateLimitQuota {
  remaining: number;
  /** Until the quota resets, from `X-Rate-Limit-Reset` (Unix seconds), when sent. */
  resetInMs?: number;
}

/** `X-Rate-Limit-Remaining` (or `X-RateLimit-Remaining`) and the reset time, when CometChat sends them. */
export function quotaOf(headers: Record<string, unknown>, now = Date.now()): RateLimitQuota | undefined {
  const remaining = headerOf(headers, 'x-rate-limit-remaining') ?? headerOf(headers, 'x-ratelimit-remaining');
  if (!remaining || !/^\d+$/.test(remaining)) return undefined;
  const reset = resetInMs(headers, now);
  return { remaining: Number(remaining), ...(reset !== undefined ? { resetInMs: Math.max(reset, 0) } : {}) };
}

const describeBody = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body ?? null)).slice(0, 500);

/** Network errors that end a request before any of it reaches CometChat. */
const NOTHING_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export function classify(error: unknown): CometChatError {
  if (error instanceof CometChatError) return error;
  if (!isAxiosError(error)) {
    return new CometChatError('transient', error instanceof Error ? error.message : String(error));
  }
  const response = (error as AxiosError).response;
  if (!response) {
    // No answer at all: refused or not resolved (nothing was sent), or reset or timed out (CometChat may have stored it).
    const unsent = NOTHING_SENT.has(error.code ?? '');
    return new CometChatError('transient', `CometChat unreachable: ${error.code ?? error.message}`, undefined, undefined, undefined, !unsent);
  }
  const { status, data } = response;
  const what = `CometChat answered ${status}: ${describeBody(data)}`;
  if (status === 429) {
    return new CometChatError('rate-limited', what, status, data, retryAfterMs(response.headers), false, quotaOf(response.headers));
  }
  if (status >= 500 || status === 408) return new CometChatError('transient', what, status, data);
  return new CometChatError('permanent', what, status, data);
}
