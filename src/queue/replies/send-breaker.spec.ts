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

  it('opens on the threshold: sends wait out a window that doubles with each failed probe, up to the ceiling', () => {
    const b = breaker();
    failTimes(b, BREAKER_THRESHOLD - 1);
    expect(b.failed()).toBe(100);
    const windows = [];
    for (let n = 0; n < 5; n++) {
      now += 1000;
      expect(b.admit()).toEqual({ go: true, probe: true });
      windows.push(b.failed(true));
    }
    expect(windows).toEqual([200, 400, 800, 1000, 1000]);
    expect(b.admit()).toEqual({ go: false, waitMs: 1000 });
  });

  it('does not lengthen its window for sends that were already in flight when it opened', () => {
    const b = breaker();
    failTimes(b, BREAKER_THRESHOLD);
    // Nine more sends of a hang time out after the breaker opened: the window stays the first one.
    expect(failTimes(b, 9)).toEqual(Array(9).fill(undefined));
    expect(b.admit()).toEqual({ go: false, waitMs: 100 });
    now = 100;
    expect(b.admit()).toEqual({ go: true, probe: true });
  });

  it('opens on a 429 for the wait it asks, then lets one probe go, and holds the rest until it is answered', () => {
    const b = breaker();
    b.limited(30_000);
    b.limited(30_000); // another send in flight met the same 429
    expect(b.admit()).toEqual({ go: false, waitMs: 30_000 });
    now = 30_000;
    expect(b.admit()).toEqual({ go: true, probe: true });
    expect(b.admit()).toEqual({ go: false, waitMs: 100 });
    b.limited(30_000, true); // the probe met another 429
    expect(b.admit()).toEqual({ go: false, waitMs: 30_000 });
    now = 60_000;
    expect(b.admit()).toEqual({ go: true, probe: true });
    expect(b.answered()).toBe(true);
    expect(b.admit()).toEqual({ go: true, probe: false });
  });

  it('sends a reply that met a 429 elsewhere as a probe, one at a time, though its own breaker is closed', () => {
    const b = breaker();
    expect(b.admit(true)).toEqual({ go: true, probe: true });
    expect(b.admit(true)).toEqual({ go: false, waitMs: 100 });
    expect(b.admit()).toEqual({ go: true, probe: false });
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
