import { BREAKER_THRESHOLD, SendBreaker } from './send-breaker';

describe('SendBreaker', () => {
  let now = 0;
  const breaker = () => new SendBreaker(100, 1000, () => now);
  const failTimes = (b: SendBreaker, n: number) => Array.from({ length: n }, () => b.failed());

  beforeEach(() => (now = 0));

  it('lets every send go until BREAKER_THRESHOLD failures in a row', () => {
    const b = breaker();
    expect(failTimes(b, BREAKER_THRESHOLD - 1)).toEqual(Array(BREAKER_THRESHOLD - 1).fill(undefined));
    expect(b.admit()).toEqual({ go: true, probe: false });
  });

  it('opens on the threshold: sends wait out a window that doubles up to the ceiling', () => {
    const b = breaker();
    failTimes(b, BREAKER_THRESHOLD - 1);
    expect(failTimes(b, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.admit()).toEqual({ go: false, waitMs: 1000 });
  });

  it('admits one probe once the window has passed, and holds the rest back meanwhile', () => {
    const b = breaker();
    failTimes(b, BREAKER_THRESHOLD);
    now = 100;
    expect(b.admit()).toEqual({ go: true, probe: true });
    expect(b.admit()).toMatchObject({ go: false });
    b.released();
    expect(b.admit()).toEqual({ go: true, probe: true });
  });

  it('closes on any answer from CometChat, and says it was open', () => {
    const b = breaker();
    failTimes(b, BREAKER_THRESHOLD);
    expect(b.answered()).toBe(true);
    expect(b.admit()).toEqual({ go: true, probe: false });
    expect(b.answered()).toBe(false);
    expect(b.failed()).toBeUndefined(); // counting starts again
  });
});
