const DEFAULT_RATE_LIMIT_WAIT_MS = 15_000;
const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;

/** A response header as a trimmed string (axios and fetch give strings; a number is taken too). */
export function headerOf(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
}

/** Until the quota resets, from `X-Rate-Limit-Reset` / `X-RateLimit-Reset` (Unix seconds), when sent. */
export function resetInMs(headers: Record<string, unknown>, now: number): number | undefined {
  const reset = headerOf(headers, 'x-rate-limit-reset') ?? headerOf(headers, 'x-ratelimit-reset');
  return reset && /^\d+$/.test(reset) ? Number(reset) * 1000 - now : undefined;
}

/** `Retry-After` (seconds or an HTTP date) in ms, when sent and readable; clamped to [0, 10 min]. */
export function retryAfterHeaderMs(headers: Record<string, unknown>, now = Date.now()): number | undefined {
  const retryAfter = headerOf(headers, 'retry-after');
  if (!retryAfter) return undefined;
  const wait = /^\d+(\.\d+)?$/.test(retryAfter) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - now;
  return Number.isNaN(wait) ? undefined : Math.min(Math.max(wait, 0), MAX_RATE_LIMIT_WAIT_MS);
}

/**
 * How long to wait after a 429: `Retry-After` (seconds or an HTTP date), else the reset time in
 * `X-Rate-Limit-Reset` / `X-RateLimit-Reset` (Unix seconds), else a default; clamped to [1 s, 10 min].
 */
export function retryAfterMs(headers: Record<string, unknown>, now = Date.now()): number {
  const wait = retryAfterHeaderMs(headers, now) ?? resetInMs(headers, now) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
  return Math.min(Math.max(wait, 1000), MAX_RATE_LIMIT_WAIT_MS);
}
