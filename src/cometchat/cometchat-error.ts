import { AxiosError, isAxiosError } from 'axios';

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
  ) {
    super(message);
    this.name = 'CometChatError';
  }
}

const DEFAULT_RATE_LIMIT_WAIT_MS = 15_000;
const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;

/** A response header as a trimmed string (axios gives strings; a number is taken too). */
function headerOf(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
}

/** Until the quota resets, from `X-Rate-Limit-Reset` / `X-RateLimit-Reset` (Unix seconds), when sent. */
function resetInMs(headers: Record<string, unknown>, now: number): number | undefined {
  const reset = headerOf(headers, 'x-rate-limit-reset') ?? headerOf(headers, 'x-ratelimit-reset');
  return reset && /^\d+$/.test(reset) ? Number(reset) * 1000 - now : undefined;
}

/**
 * How long to wait after a 429: `Retry-After` (seconds or an HTTP date), else the reset time in
 * `X-Rate-Limit-Reset` / `X-RateLimit-Reset` (Unix seconds), else a default; clamped to [1 s, 10 min].
 */
export function retryAfterMs(headers: Record<string, unknown>, now = Date.now()): number {
  let wait: number | undefined;
  const retryAfter = headerOf(headers, 'retry-after');
  if (retryAfter) {
    wait = /^\d+(\.\d+)?$/.test(retryAfter) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - now;
  }
  if (wait === undefined || Number.isNaN(wait)) wait = resetInMs(headers, now) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
  return Math.min(Math.max(wait, 1000), MAX_RATE_LIMIT_WAIT_MS);
}

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

export function classify(error: unknown): CometChatError {
  if (error instanceof CometChatError) return error;
  if (!isAxiosError(error)) {
    return new CometChatError('transient', error instanceof Error ? error.message : String(error));
  }
  const response = (error as AxiosError).response;
  if (!response) {
    // No answer at all: refused, reset or timed out. CometChat may or may not have stored the message.
    return new CometChatError('transient', `CometChat unreachable: ${error.code ?? error.message}`);
  }
  const { status, data } = response;
  const what = `CometChat answered ${status}: ${describeBody(data)}`;
  if (status === 429) {
    return new CometChatError('rate-limited', what, status, data, retryAfterMs(response.headers));
  }
  if (status >= 500 || status === 408) return new CometChatError('transient', what, status, data);
  return new CometChatError('permanent', what, status, data);
}
