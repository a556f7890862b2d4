import { CometChatError } from '../../cometchat/cometchat-error';
import type { ReplyJobData } from '../job-contracts';
import type { BreakerNews } from './breaker-broadcast';
import {
  BreakerNewsChannel,
  DeliveryPolicy,
  MAX_RATE_LIMITED,
  ProbeRight,
  ReplyRefused,
  ReplyRun,
  RetryBudgetSpent,
  SendPauses,
  SendsPaused,
} from './delivery-policy';
import { BREAKER_THRESHOLD } from './send-breaker';

// The policy runs on its ports alone: loading BullMQ or ioredis here fails the spec.
jest.mock('bullmq', () => {
  throw new Error('the delivery policy must not load BullMQ');
});
jest.mock('ioredis', () => {
  throw new Error('the delivery policy must not load ioredis');
});

const FIRST_WINDOW_MS = 100;
const MAX_WINDOW_MS = 1000;
const BUDGET_MS = 60_000;

/** What several processes share: the clock, the queue-wide pause, the probe lock and the breaker news. */
class Shared {
  now = 1_000_000;
  pausedUntil = 0;
  pauses: number[] = [];
  lifted = 0;
  probeHolder?: string;
  probesTaken = 0;
  told: BreakerNews[] = [];
  private listeners: { from: number; heard: (news: BreakerNews) => void }[] = [];
  private processes = 0;

  readonly sendPauses: SendPauses = {
    pause: async (ms) => {
      this.pauses.push(ms);
      this.pausedUntil = this.now + ms;
    },
    pauseApp: async (ms) => {
      if (this.pausedUntil - this.now >= ms) return;
      this.pauses.push(ms);
      this.pausedUntil = this.now + ms;
    },
    pausedForMs: async () => this.pausedUntil - this.now,
    lift: async () => {
      this.lifted += 1;
      this.pausedUntil = 0;
    },
  };

  readonly probes: ProbeRight = {
    take: async () => {
      if (this.probeHolder) return undefined;
      this.probesTaken += 1;
      this.probeHolder = `probe-${this.probesTaken}`;
      return this.probeHolder;
    },
    giveBack: async (token) => {
      if (this.probeHolder === token) this.probeHolder = undefined;
    },
  };

  /** One process's end of the news: told to every other process at once, as pub/sub would. */
  news(): BreakerNewsChannel {
    const me = (this.processes += 1);
    return {
      listen: async (heard) => void this.listeners.push({ from: me, heard }),
      tell: async (news) => {
        this.told.push(news);
        for (const listener of this.listeners) if (listener.from !== me) listener.heard(news);
      },
    };
  }
}

/** A run of a reply's job as BullMQ hands it over: its data, kept by updateData. */
const reply = (id: string, data: Partial<ReplyJobData> = {}) => {
  const first: ReplyJobData = {
    eventId: id,
    index: 0,
    turn: 1,
    target: { type: 'user', id: `uid-${id}` },
    reply: { category: 'message', type: 'text', data: { text: 'hi' } },
    muid: id,
    ...data,
  };
  const run = {
    id,
    data: first,
    attemptsMade: 0,
    stalledCounter: 0,
    timestamp: 0,
    async updateData(next: ReplyJobData) {
      run.data = next;
    },
  };
  return run;
};

const unavailable = () => new CometChatError('transient', 'CometChat answered 503', 503);
const tooMany = (retryAfterMs: number) => new CometChatError('rate-limited', 'CometChat answered 429', 429, undefined, retryAfterMs);

describe('DeliveryPolicy', () => {
  let shared: Shared;
  let sendBotMessage: jest.Mock;
  let findSent: jest.Mock;
  let lines: { level: string; line: unknown }[];

  /** The policy as one process has it, on the shared fakes. */
  const aProcess = () => {
    const policy = new DeliveryPolicy(
      {
        sender: { sendBotMessage, findSent, editBotMessage: jest.fn(), deleteBotMessage: jest.fn() },
        pauses: shared.sendPauses,
        probes: shared.probes,
        news: shared.news(),
        log: {
          log: (line) => lines.push({ level: 'log', line }),
          warn: (line) => lines.push({ level: 'warn', line }),
          debug: (line) => lines.push({ level: 'debug', line }),
        },
        lineOf: (run) => ({ msg: 'send', replyId: run.id }),
      },
      { firstWindowMs: FIRST_WINDOW_MS, maxWindowMs: MAX_WINDOW_MS, budgetMs: BUDGET_MS },
      () => shared.now,
    );
    return policy;
  };

  /** One run through the policy as the processor makes it: admitted, then sent; the outcome or the error. */
  const attempt = async (policy: DeliveryPolicy, run: ReplyRun) => {
    try {
      const admitted = await policy.admit(run);
      const sent = await policy.send(run, admitted);
      await policy.delivered(sent.quota);
      return sent;
    } catch (error) {
      return error as Error;
    }
  };

  /** BREAKER_THRESHOLD sends failing in a row (each its own reply). */
  const outage = async (policy: DeliveryPolicy) => {
    sendBotMessage.mockRejectedValue(unavailable());
    for (let n = 0; n < BREAKER_THRESHOLD; n++) await attempt(policy, reply(`failing-${n}`));
  };

  const warnings = () => lines.filter(({ level }) => level === 'warn').map(({ line }) => line);

  beforeEach(() => {
    shared = new Shared();
    sendBotMessage = jest.fn();
    findSent = jest.fn().mockResolvedValue(undefined);
    lines = [];
  });

  it('sends at once while CometChat answers, without a probe or a pause', async () => {
    sendBotMessage.mockResolvedValue({ id: '9001', status: 200 });
    expect(await attempt(aProcess(), reply('r1'))).toEqual({ id: '9001', status: 200 });
    expect(shared.probesTaken).toBe(0);
    expect(shared.pauses).toEqual([]);
  });

  it('opens the breaker on 5 failures in a row: every process pauses, and the sends held back make no call', async () => {
    const policy = aProcess();
    sendBotMessage.mockRejectedValue(unavailable());
    for (let n = 0; n < BREAKER_THRESHOLD - 1; n++) expect(await attempt(policy, reply(`f${n}`))).toMatchObject({ status: 503 });
    expect(shared.pauses).toEqual([]);

    // The fifth: its own error, for a retry with backoff, and the breaker open.
    expect(await attempt(policy, reply('f4'))).toBeInstanceOf(CometChatError);
    expect(shared.pauses).toEqual([FIRST_WINDOW_MS]);
    expect(warnings()).toContain(`CometChat failing (5+ sends in a row): sending paused for ${FIRST_WINDOW_MS} ms, then one probe`);
    expect(shared.told).toEqual([{ open: { forMs: FIRST_WINDOW_MS, windows: 1, failing: true } }]);

    sendBotMessage.mockClear();
    expect(await attempt(policy, reply('held'))).toBeInstanceOf(SendsPaused);
    expect(sendBotMessage).not.toHaveBeenCalled();
  });

  it('doubles the window with each failed probe, up to the ceiling, and closes on the probe CometChat takes', async () => {
    const policy = aProcess();
    await outage(policy);
    const windows = [];
    for (let n = 0; n < 4; n++) {
      shared.now += MAX_WINDOW_MS;
      expect(await attempt(policy, reply(`probe-${n}`))).toBeInstanceOf(CometChatError);
      windows.push(shared.pauses.at(-1));
      expect(shared.probeHolder).toBeUndefined(); // given back after each
    }
    expect(windows).toEqual([200, 400, 800, MAX_WINDOW_MS]);
    expect(shared.told.at(-1)).toEqual({ open: { forMs: MAX_WINDOW_MS, windows: 5, failing: true } });

    shared.now += MAX_WINDOW_MS;
    sendBotMessage.mockResolvedValue({ id: '7' });
    expect(await attempt(policy, reply('back'))).toEqual({ id: '7' });
    expect(lines).toContainEqual({ level: 'log', line: 'CometChat answers again: sending resumed' });
    expect(shared.lifted).toBe(1);
    expect(shared.told.at(-1)).toEqual({ closed: true });
    sendBotMessage.mockClear();
    await attempt(policy, reply('flowing'));
    expect(shared.probesTaken).toBe(5); // no probe once closed
  });

  it("pauses every process for a 429's Retry-After, logs it as rate-limited, and the next send probes", async () => {
    const policy = aProcess();
    const limited = reply('limited');
    sendBotMessage.mockRejectedValueOnce(tooMany(30_000));
    expect(await attempt(policy, limited)).toBeInstanceOf(SendsPaused);
    expect(shared.pauses).toEqual([30_000]);
    expect(shared.told).toEqual([{ open: { forMs: 30_000, windows: 0, failing: false } }]);
    expect(warnings()).toEqual([
      {
        msg: 'send',
        replyId: 'limited',
        attempt: 1,
        outcome: 'rate-limited',
        reason: 'CometChat rate limit (429): sending paused for 30000 ms',
        waitMs: 30_000,
      },
    ]);
    // Not a failure: kept with the reply, which no budget counts, and it goes again only as a probe.
    expect(limited.data).toMatchObject({ rateLimited: 1, outcomeUnknown: false, stallsKnown: 0 });
    expect(limited.data.failingSince).toBeUndefined();

    expect(await attempt(policy, reply('fresh'))).toBeInstanceOf(SendsPaused);
    shared.now += 30_000;
    sendBotMessage.mockResolvedValue({ id: '9500' });
    expect(await attempt(policy, limited)).toEqual({ id: '9500' });
    expect(shared.probesTaken).toBe(1);
    expect(sendBotMessage).toHaveBeenCalledTimes(2);
  });

  it('lets one probe go across processes: another process holding the probe holds this one back', async () => {
    const here = aProcess();
    const elsewhere = aProcess();
    await Promise.all([here.listen(), elsewhere.listen()]);
    sendBotMessage.mockRejectedValueOnce(tooMany(1000));
    expect(await attempt(here, reply('limited'))).toBeInstanceOf(SendsPaused);

    // The other process heard of it: its fresh reply waits without a call, though its own sends never met the 429.
    expect(await attempt(elsewhere, reply('fresh'))).toBeInstanceOf(SendsPaused);
    expect(sendBotMessage).toHaveBeenCalledTimes(1);

    shared.now += 1000;
    let answer!: (sent: { id: string }) => void;
    sendBotMessage.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const probing = attempt(elsewhere, reply('probe'));
    await new Promise(setImmediate);
    expect(shared.probeHolder).toBeDefined();
    expect(await attempt(here, reply('second'))).toBeInstanceOf(SendsPaused); // its window passed too, but the lock is held
    expect(sendBotMessage).toHaveBeenCalledTimes(2);
    answer({ id: '9600' });
    expect(await probing).toEqual({ id: '9600' });

    // The probe went through: the news closes this process's breaker too, so its sends need no probe.
    shared.probeHolder = 'another-process';
    sendBotMessage.mockResolvedValue({ id: '9601' });
    expect(await attempt(here, reply('after'))).toEqual({ id: '9601' });
  });

  it('gives a probe back even when the pause after its failure fails, and passes that failure on', async () => {
    const policy = aProcess();
    await outage(policy);
    shared.now += FIRST_WINDOW_MS;
    // The race as a busy Redis plays it: the probe's hand-back answers late, the queue's pause fails at once.
    const giveBack = shared.probes.giveBack;
    shared.probes.giveBack = async (token) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await giveBack(token);
    };
    shared.sendPauses.pause = () => Promise.reject(new Error('Redis refused the pause'));
    // An unhandled rejection on the way fails this test (strict environment).
    expect(await attempt(policy, reply('probe'))).toMatchObject({ message: 'Redis refused the pause' });
    expect(shared.probeHolder).toBeUndefined();
  });

  it('pauses sends until a spent quota resets (1 s at least), and not for a quota left', async () => {
    const policy = aProcess();
    sendBotMessage.mockResolvedValueOnce({ id: '1', quota: { remaining: 3, resetInMs: 5000 } });
    await attempt(policy, reply('r1'));
    expect(shared.pauses).toEqual([]);
    expect(lines).toContainEqual({ level: 'debug', line: 'CometChat quota: 3 requests left, reset in 5000 ms' });

    sendBotMessage.mockResolvedValueOnce({ id: '2', quota: { remaining: 0, resetInMs: 5000 } });
    await attempt(policy, reply('r2'));
    expect(shared.pauses).toEqual([5000]);
    expect(warnings()).toContain('CometChat quota spent (X-Rate-Limit-Remaining: 0): sending paused for 5000 ms');

    shared.now += 5000;
    sendBotMessage.mockResolvedValueOnce({ id: '3', quota: { remaining: 0 } });
    await attempt(policy, reply('r3'));
    expect(shared.pauses).toEqual([5000, 1000]);
  });

  it('never shortens a longer pause: a quota or a breaker window inside a 429 leaves it be', async () => {
    const policy = aProcess();
    sendBotMessage.mockRejectedValueOnce(tooMany(30_000));
    await attempt(aProcess(), reply('limited elsewhere'));
    expect(shared.pausedUntil).toBe(shared.now + 30_000);

    // This process never heard of it (no listener): its own sends go, spend the quota, then fail.
    sendBotMessage.mockResolvedValueOnce({ id: '1', quota: { remaining: 0, resetInMs: 2000 } });
    await attempt(policy, reply('r1'));
    await outage(policy);
    expect(shared.pauses).toEqual([30_000]);
    expect(shared.pausedUntil).toBe(shared.now + 30_000);
    expect(shared.told.at(-1)).toEqual({ open: { forMs: FIRST_WINDOW_MS, windows: 1, failing: true } }); // still told
  });

  it("fails a reply past REPLIES_RETRY_BUDGET_MS, counted to the breaker's last failure, not to now", async () => {
    const policy = aProcess();
    // A reply's first failure starts its budget.
    const first = reply('first');
    sendBotMessage.mockRejectedValueOnce(unavailable());
    await attempt(policy, first);
    expect(first.data.failingSince).toBe(shared.now);

    await outage(policy);
    const lastFailure = shared.now;
    shared.probeHolder = 'another-process';
    // Met the outage 50 s before the breaker's last failure, held back 20 s after it (CometChat maybe back already):
    // 70 s since it met the outage, 50 s of CometChat's own failures.
    shared.now = lastFailure + 20_000;
    const held = reply('held', { failingSince: lastFailure - 50_000 });
    expect(await attempt(policy, held)).toBeInstanceOf(SendsPaused);
    expect(held.data.failingSince).toBe(lastFailure - 50_000);

    // Past the budget by CometChat's own failures: failed for good, with a budget of its own for a replay.
    const old = reply('old', { failingSince: lastFailure - 61_000 });
    const spent = await attempt(policy, old);
    expect(spent).toBeInstanceOf(RetryBudgetSpent);
    expect(spent).toMatchObject({ message: 'CometChat failing for 61 s, past the retry budget; last: held back by the open circuit breaker' });
    expect(old.data.failingSince).toBeUndefined();

    // A failure of its own counts to now.
    shared.probeHolder = undefined;
    shared.now += FIRST_WINDOW_MS;
    const own = reply('own', { failingSince: shared.now - BUDGET_MS });
    expect(await attempt(policy, own)).toMatchObject({ message: 'CometChat failing for 60 s, past the retry budget; last: CometChat answered 503' });
  });

  it(`refuses a reply for good once it met a 429 more than MAX_RATE_LIMITED (${MAX_RATE_LIMITED}) times`, async () => {
    const policy = aProcess();
    const run = reply('limited', { rateLimited: MAX_RATE_LIMITED - 1 });
    sendBotMessage.mockRejectedValue(tooMany(1000));
    expect(await attempt(policy, run)).toBeInstanceOf(SendsPaused);
    expect(run.data.rateLimited).toBe(MAX_RATE_LIMITED);

    shared.now += 1000;
    const refused = await attempt(policy, run);
    expect(refused).toBeInstanceOf(ReplyRefused);
    expect(refused).toMatchObject({ status: 429, message: `rate-limited ${MAX_RATE_LIMITED} times in a row; last: CometChat answered 429` });
    expect(shared.probeHolder).toBeUndefined();
  });

  it('refuses a reply CometChat refuses (4xx), closing an open breaker: CometChat answered', async () => {
    const policy = aProcess();
    await outage(policy);
    shared.now += FIRST_WINDOW_MS;
    sendBotMessage.mockRejectedValue(new CometChatError('permanent', 'CometChat answered 404', 404));
    expect(await attempt(policy, reply('gone'))).toMatchObject({ name: 'ReplyRefused', status: 404 });
    expect(shared.told.at(-1)).toEqual({ closed: true });
  });

  it('looks for an earlier send before sending again one that may have been stored, and sends when the look is refused', async () => {
    const policy = aProcess();
    sendBotMessage.mockResolvedValue({ id: 'new' });
    findSent.mockResolvedValueOnce('earlier');
    expect(await attempt(policy, reply('unknown', { outcomeUnknown: true }))).toEqual({ id: 'earlier', foundEarlier: true });
    expect(sendBotMessage).not.toHaveBeenCalled();

    findSent.mockRejectedValueOnce(new CometChatError('permanent', 'CometChat answered 403', 403));
    const stalled = reply('stalled');
    stalled.stalledCounter = 1;
    expect(await attempt(policy, stalled)).toEqual({ id: 'new' });
    expect(warnings()).toContainEqual({
      msg: 'send',
      replyId: 'stalled',
      outcome: 'lookup-refused',
      reason: 'CometChat answered 403: sent again without looking',
    });
    expect(findSent).toHaveBeenCalledTimes(2);
    await attempt(policy, reply('first run'));
    expect(findSent).toHaveBeenCalledTimes(2);
  });
});
