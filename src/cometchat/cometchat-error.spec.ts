import { AxiosError, AxiosHeaders, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { classify, CometChatError, quotaOf, retryAfterMs } from './cometchat-error';

const NOW = Date.parse('2024-06-01T12:00:00Z');

describe('retryAfterMs', () => {
  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs({ 'retry-after': '15' }, NOW)).toBe(15_000);
    expect(retryAfterMs({ 'retry-after': 30 }, NOW)).toBe(30_000);
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after': new Date(NOW + 42_000).toUTCString() }, NOW)).toBe(42_000);
  });

  it.each(['x-rate-limit-reset', 'x-ratelimit-reset'])('falls back to %s (Unix seconds)', (name) => {
    expect(retryAfterMs({ [name]: String(NOW / 1000 + 20) }, NOW)).toBe(20_000);
  });

  it('waits 15 s when nothing says how long', () => {
    expect(retryAfterMs({}, NOW)).toBe(15_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, NOW)).toBe(15_000);
  });

  it('waits at least 1 s and at most 10 min', () => {
    expect(retryAfterMs({ 'retry-after': '0' }, NOW)).toBe(1_000);
    expect(retryAfterMs({ 'retry-after': new Date(NOW - 60_000).toUTCString() }, NOW)).toBe(1_000);
    expect(retryAfterMs({ 'retry-after': '3600' }, NOW)).toBe(600_000);
  });
});

describe('classify', () => {
  const config = { headers: new AxiosHeaders(), url: '/bots/support-bot/messages' } as InternalAxiosRequestConfig;

  function answered(status: number, data: unknown, headers: Record<string, string> = {}): AxiosError {
    const response = { status, statusText: '', data, headers, config } as AxiosResponse;
    return new AxiosError(`Request failed with status code ${status}`, AxiosError.ERR_BAD_RESPONSE, config, {}, response);
  }

  it('turns a 429 into rate-limited with the wait CometChat asked for', () => {
    const error = classify(answered(429, { error: { code: 'ERR_TOO_MANY_REQUESTS' } }, { 'retry-after': '7' }));
    expect(error).toBeInstanceOf(CometChatError);
    expect(error).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterMs: 7_000 });
  });

  it.each([500, 503, 408])('treats %i as transient', (status) => {
    expect(classify(answered(status, 'upstream trouble'))).toMatchObject({ kind: 'transient', status });
  });

  it.each([400, 401, 404])('treats %i as permanent and keeps the body', (status) => {
    const body = { error: { code: 'ERR_UID_NOT_FOUND', message: 'The UID support-bot does not exist.' } };
    const error = classify(answered(status, body));
    expect(error).toMatchObject({ kind: 'permanent', status, body });
    expect(error.message).toContain(String(status));
    expect(error.message).toContain('ERR_UID_NOT_FOUND');
  });

  it('treats no answer at all as transient', () => {
    const refused = new AxiosError('connect ECONNREFUSED 127.0.0.1:4010', 'ECONNREFUSED', config, {});
    expect(classify(refused)).toMatchObject({ kind: 'transient', status: undefined, outcomeUnknown: false });
  });

  it('treats a timeout as transient', () => {
    const timeout = new AxiosError('timeout of 10000ms exceeded', AxiosError.ECONNABORTED, config, {});
    const error = classify(timeout);
    expect(error).toMatchObject({ kind: 'transient', status: undefined });
    expect(error.message).toContain('ECONNABORTED');
  });

  it('says when a send may have been stored though no answer came (a timeout, a reset), and not when it was refused', () => {
    const reset = new AxiosError('socket hang up', 'ECONNRESET', config, {});
    const timeout = new AxiosError('timeout of 10000ms exceeded', AxiosError.ECONNABORTED, config, {});
    expect(classify(reset).outcomeUnknown).toBe(true);
    expect(classify(timeout).outcomeUnknown).toBe(true);
    expect(classify(new AxiosError('connect ECONNREFUSED', 'ECONNREFUSED', config, {})).outcomeUnknown).toBe(false);
    expect(classify(answered(503, {})).outcomeUnknown).toBe(false);
  });
});

describe('quotaOf', () => {
  it('reads X-Rate-Limit-Remaining and the reset time', () => {
    expect(quotaOf({ 'x-rate-limit-remaining': '42', 'x-rate-limit-reset': String(NOW / 1000 + 30) }, NOW)).toEqual({
      remaining: 42,
      resetInMs: 30_000,
    });
    expect(quotaOf({ 'x-ratelimit-remaining': 0 }, NOW)).toEqual({ remaining: 0 });
  });

  it('is absent when CometChat does not say', () => {
    expect(quotaOf({}, NOW)).toBeUndefined();
    expect(quotaOf({ 'x-rate-limit-remaining': 'lots' }, NOW)).toBeUndefined();
  });
});
