import { RetryLaterError } from '../responders';
import { cappedBackoff, jobOptions } from './job-contracts';

describe('capped exponential backoff', () => {
  const job = { opts: jobOptions({ attempts: 5, backoffMs: 100, backoffMaxMs: 1000 }) } as any;
  const delays = (attemptsMade: number) => Array.from({ length: 200 }, () => cappedBackoff(1000)(attemptsMade, undefined, undefined, job) as number);

  it('doubles from the first delay, with up to half taken off at random', () => {
    for (const [attempt, ceiling] of [
      [1, 100],
      [2, 200],
      [3, 400],
    ]) {
      const seen = delays(attempt);
      expect(Math.max(...seen)).toBeLessThanOrEqual(ceiling);
      expect(Math.min(...seen)).toBeGreaterThanOrEqual(ceiling / 2);
    }
  });

  it('waits at least what a RetryLaterError asked for (a Retry-After), even past the ceiling', () => {
    const later = new RetryLaterError('the model answered 429', 5000);
    expect(cappedBackoff(1000)(1, undefined, later, job)).toBe(5000);
    // A shorter ask does not shorten the backoff.
    expect(cappedBackoff(1000)(3, undefined, new RetryLaterError('soon', 1), job)).toBeGreaterThanOrEqual(200);
  });

  it('never waits longer than the ceiling, however many attempts', () => {
    expect(Math.max(...delays(60))).toBeLessThanOrEqual(1000);
    expect(Math.min(...delays(60))).toBeGreaterThanOrEqual(500);
  });
});
