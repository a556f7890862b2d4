import { classify, CometChatError, RateLimitQuota } from '../../cometchat/cometchat-error';
import type { DeletedMessage, EditedMessage, OutgoingMessage, ReplySender, SentMessage } from '../../cometchat/reply-sender';
import type { ReplyJobData } from '../job-contracts';
import type { BreakerNews } from './breaker-broadcast';
import { BREAKER_THRESHOLD, SendBreaker } from './send-breaker';

/** A reply answered 429 this many times in a row is failed (kept) rather than retried forever. */
export const MAX_RATE_LIMITED = 50;

/**
 * The sends of one bot in every process, paused and resumed together: with one bot, the replies queue's (BullMQ's
 * queue-wide rate limit: queuePauses); with several, the bot's own (BotSends), so a 429 for one bot holds no other's.
 */
export interface SendPauses {
  /** Pauses every process's sends (of this bot) for `ms` from now. */
  pause(ms: number): Promise<void>;
  /** The app's quota is spent: pauses the sends of every bot of the app for `ms`, never shortening a longer pause. */
  pauseApp(ms: number): Promise<void>;
  /** How much longer every process's sends (of this bot) stay paused, in ms (0 or less: not paused). */
  pausedForMs(): Promise<number>;
  /** Lifts the pause: sends go at once. */
  lift(): Promise<unknown>;
}

/**
 * What each send of one bot of several asks before it goes, across every process (BotSends): the bot's pause and its
 * app's (another bot's policy may have paused the app), and the bot's own budget a minute (BOTS_FILE's sendsPerMinute).
 * With one bot the queue does all this itself (its rate limit and limiter): no gate.
 */
export interface SendGate {
  /** 0 when a send may go now (it is counted), else ms until it may. */
  pass(): Promise<number>;
}

/** The right to probe CometChat, held by one send at a time across every process (ProbeLock). */
export interface ProbeRight {
  /** A token when this caller may probe now, else undefined (another send is probing). */
  take(): Promise<string | undefined>;
  giveBack(token: string): Promise<void>;
}

/** What the processes' breakers tell each other (BreakerBroadcast): best effort, never failing `tell`. */
export interface BreakerNewsChannel {
  listen(heard: (news: BreakerNews) => void): Promise<void>;
  tell(news: BreakerNews): Promise<void>;
}

/** One run of a reply's job, as the policy reads and keeps it (BullMQ's Job is one). */
export interface ReplyRun {
  readonly id?: string;
  readonly data: ReplyJobData;
  readonly attemptsMade: number;
  /** BullMQ's count of the job's stalls: a process died running it that many times. */
  readonly stalledCounter: number;
  /** When the reply was queued, epoch ms: a look for an earlier send looks from then. */
  readonly timestamp: number;
  /** Keeps what the policy learnt of the reply with its job, for its later runs (replaces the data). */
  updateData(data: ReplyJobData): Promise<void>;
}

export interface DeliveryPorts<Run extends ReplyRun = ReplyRun> {
  sender: ReplySender;
  pauses: SendPauses;
  /** Each send's gate, for one bot of several. */
  gate?: SendGate;
  probes: ProbeRight;
  news: BreakerNewsChannel;
  /** The send's logger: the policy's lines are the send's (same context). */
  log: { log(line: unknown): void; warn(line: unknown): void; debug(line: unknown): void };
  /** The fields a send's log line starts with (the processor's logLine). */
  lineOf(run: Run, error?: Error): Record<string, unknown>;
}

export interface DeliverySettings {
  /** The breaker's first window (RETRY_BACKOFF_MS), doubling with each failed probe up to `maxWindowMs`. */
  firstWindowMs: number;
  maxWindowMs: number;
  /** REPLIES_RETRY_BUDGET_MS. */
  budgetMs: number;
}

/** Admitted to send: `probe` when it tests an open breaker; `token`, the probe right it holds. */
export interface Admitted {
  probe: boolean;
  token?: string;
}

/**
 * What a run sends: a message to post (looked for first when an earlier send may have been stored unconfirmed), an
 * edit of one, or its delete (both idempotent: sent again as they are).
 */
export type Delivery = { post: OutgoingMessage } | { edit: EditedMessage } | { delete: DeletedMessage };

/** What CometChat stored, or the earlier send of this reply found there (`foundEarlier`). */
export type Sent = SentMessage & { foundEarlier?: boolean };

/** The reply waits, with its turn and its attempts, until every process's sends resume (BullMQ: its rate limit). */
export class SendsPaused extends Error {
  constructor(readonly waitMs: number) {
    super(`sends paused for ${waitMs} ms`);
    this.name = 'SendsPaused';
  }
}

/** CometChat refused the reply for good (a 4xx other than 429, or a 429 too often): failed, not retried. */
export class ReplyRefused extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ReplyRefused';
  }
}

/** The reply met CometChat failing for longer than its retry budget: failed, not retried. */
export class RetryBudgetSpent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryBudgetSpent';
  }
}

/**
 * How and when a reply goes to CometChat, one per process: the send breaker (opened by outages and 429s, here or as
 * another process tells), one probe at a time across processes, queue-wide pauses (never shortened) for a 429, a
 * spent quota and an open breaker, the retry budget, the cap on 429s, and the look for an earlier send before a
 * reply whose last send may have been stored is sent again. It knows nothing of BullMQ: its ports pause sends and
 * keep a run's data, and its decisions are errors of its own (SendsPaused, ReplyRefused, RetryBudgetSpent) the
 * processor turns into BullMQ's. A failed send's own error (transient) is rethrown as it came, for a retry.
 */
export class DeliveryPolicy<Run extends ReplyRun = ReplyRun> {
  private readonly breaker: SendBreaker;

  constructor(
    private readonly ports: DeliveryPorts<Run>,
    private readonly settings: DeliverySettings,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.breaker = new SendBreaker(settings.firstWindowMs, settings.maxWindowMs, now);
  }

  /** This process's breaker hears the others': one process meeting a 429 or an outage pauses every process's sends. */
  async listen(): Promise<void> {
    await this.ports.news
      .listen((news) => {
        if ('closed' in news) this.breaker.answered();
        else this.breaker.openedElsewhere(news.open.forMs, news.open.windows, news.open.failing);
      })
      .catch((error: Error) => this.ports.log.warn(`not hearing the other processes' send breakers: ${error.message}`));
  }

  /**
   * Whether the reply may go now: at once while the breaker is closed; while it is open (or the reply met a 429: it
   * goes again only as a probe, whichever process takes it up), as the one probe across processes once the window has
   * passed. Else throws SendsPaused (or RetryBudgetSpent). An admitted probe must go to send(), which settles it.
   */
  async admit(run: Run): Promise<Admitted> {
    const admission = this.breaker.admit((run.data.rateLimited ?? 0) > 0);
    if (!admission.go) return this.holdBack(run, admission.waitMs);
    const token = admission.probe ? await this.takeProbe() : undefined;
    if (admission.probe && !token) return this.holdBack(run, this.breaker.firstWindowMs); // another process probes
    await this.throughGate(run, token);
    return { probe: admission.probe, token };
  }

  /**
   * The send passes its gate, or the reply waits (pausing nobody: each send asks) until it may; a probe right it took is
   * given back.
   */
  private async throughGate(run: Run, token: string | undefined): Promise<void> {
    const waitMs = this.ports.gate ? await this.ports.gate.pass() : 0;
    if (waitMs <= 0) return;
    if (token) {
      this.breaker.released();
      await this.ports.probes.giveBack(token).catch(() => undefined);
    }
    this.ports.log.debug({ ...this.ports.lineOf(run), outcome: 'held', waitMs });
    throw new SendsPaused(waitMs);
  }

  /**
   * Sends the admitted reply (or finds its earlier send, when one may have been stored unconfirmed). A failure is
   * settled by the policy: a 429 pauses sends (SendsPaused), an outage counts to the breaker and the budget (its error
   * rethrown, for a retry), a refusal fails the reply (ReplyRefused). The probe right is given back either way.
   */
  async send(run: Run, admitted: Admitted, delivery: Delivery = { post: run.data }): Promise<Sent> {
    try {
      if ('edit' in delivery) return await this.ports.sender.editBotMessage(delivery.edit);
      if ('delete' in delivery) return await this.ports.sender.deleteBotMessage(delivery.delete);
      // An earlier send that may have been stored unconfirmed (no answer; its process died) is looked for first.
      const earlier = this.mayBeStoredUnconfirmed(run) ? await this.findEarlierSend(run) : undefined;
      return earlier !== undefined ? { id: earlier, foundEarlier: true } : await this.ports.sender.sendBotMessage(delivery.post);
    } catch (raw) {
      // A failed send is logged once, by QueueWorkers (logLine); a 429 here, since it is no failure.
      const error = classify(raw);
      if (error.kind === 'transient') return await this.failedSend(run, error, admitted.probe);
      if (error.kind === 'rate-limited') return await this.deferRateLimited(run, error, admitted.probe);
      await this.answered();
      throw new ReplyRefused(error.status, error.message);
    } finally {
      if (admitted.token) {
        this.breaker.released();
        await this.ports.probes.giveBack(admitted.token).catch(() => undefined); // else it lapses by itself
      }
    }
  }

  /** CometChat took the reply (and it is recorded): the breaker closes if open, and a spent quota pauses sends. */
  async delivered(quota: RateLimitQuota | undefined): Promise<void> {
    await this.answered();
    if (quota) await this.honour(quota).catch(() => undefined); // a missed pause costs a 429, no more
  }

  /** Its last send got no answer, or a process died running it since its last send's outcome was known. */
  private mayBeStoredUnconfirmed(run: Run): boolean {
    return run.data.outcomeUnknown === true || run.stalledCounter > (run.data.stallsKnown ?? 0);
  }

  /**
   * CometChat is asked whether it stored an earlier send of this reply; one that refuses to say (a 4xx) means send. A
   * look that fails otherwise is retried like a send, the earlier send's outcome still unknown.
   */
  private async findEarlierSend(run: Run): Promise<string | undefined> {
    try {
      return await this.ports.sender.findSent(run.data, run.timestamp);
    } catch (raw) {
      const error = classify(raw);
      if (error.kind !== 'permanent') throw new CometChatError(error.kind, error.message, error.status, error.body, error.retryAfterMs, true);
      this.ports.log.warn({ ...this.ports.lineOf(run, error), outcome: 'lookup-refused', reason: `${error.message}: sent again without looking` });
      return undefined;
    }
  }

  /**
   * CometChat did not answer (5xx, timeout, refused): retried with capped backoff until the reply has been
   * failing for the retry budget, so an outage of minutes costs no reply; consecutive failures open the breaker.
   */
  private async failedSend(run: Run, error: CometChatError, probe: boolean): Promise<never> {
    await this.withinBudget(run, error.message, { outcomeUnknown: error.outcomeUnknown, stallsKnown: run.stalledCounter });
    const pauseMs = this.breaker.failed(probe);
    if (pauseMs !== undefined) {
      this.ports.log.warn(`CometChat failing (${BREAKER_THRESHOLD}+ sends in a row): sending paused for ${pauseMs} ms, then one probe`);
      await this.breakerOpened(pauseMs, true);
    }
    throw error;
  }

  /** This process's breaker opened for `ms` (`failing`: an outage, not a 429): every process's sends pause, and hear why. */
  private async breakerOpened(ms: number, failing: boolean): Promise<void> {
    await this.pauseSends(ms);
    await this.ports.news.tell({ open: { forMs: ms, windows: this.breaker.windows, failing } });
  }

  /**
   * Pauses every process's sends for `ms`, never shortening a longer pause (a 429's). The replies queue's limiter's own
   * count of a minute's sends is no pause (see queuePauses).
   */
  private async pauseSends(ms: number): Promise<void> {
    if ((await this.ports.pauses.pausedForMs()) >= ms) return;
    await this.ports.pauses.pause(ms);
  }

  /** The shared right to probe, or undefined when another send (of any process) holds it; the breaker told either way. */
  private async takeProbe(): Promise<string | undefined> {
    const token = await this.ports.probes.take().catch((error: Error) => {
      this.breaker.released();
      throw error;
    });
    if (!token) this.breaker.released();
    return token;
  }

  /**
   * The breaker is open: the reply waits, with its turn and its attempts, and without a call. Its budget counts to the
   * last failure seen, not to now: a reply held through a window in which CometChat came back is not failed for it.
   */
  private async holdBack(run: Run, waitMs: number): Promise<never> {
    const failedAt = this.breaker.lastFailureAt;
    if (failedAt !== undefined) await this.withinBudget(run, 'held back by the open circuit breaker', {}, failedAt);
    await this.pauseSends(waitMs);
    throw new SendsPaused(waitMs);
  }

  /** CometChat answered: if the breaker was open, the backlog may flow at once rather than at the window's end. */
  private async answered(): Promise<void> {
    if (!this.breaker.answered()) return;
    this.ports.log.log('CometChat answers again: sending resumed');
    await this.ports.pauses.lift().catch(() => undefined); // else the window just lapses
    await this.ports.news.tell({ closed: true });
  }

  /**
   * Throws once the reply has met CometChat failing for longer than REPLIES_RETRY_BUDGET_MS, from its first failure to
   * `failedAt` (now, for a failure of its own). `learnt`: what this failure tells of the last send, kept with the job
   * (written only when it changes).
   */
  private async withinBudget(
    run: Run,
    last: string,
    learnt: Pick<ReplyJobData, 'outcomeUnknown' | 'stallsKnown'> = {},
    failedAt = this.now(),
  ): Promise<void> {
    const { failingSince, ...data } = run.data;
    const changed = Object.entries(learnt).some(([field, value]) => run.data[field as keyof ReplyJobData] !== value);
    if (failingSince === undefined) {
      await run.updateData({ ...run.data, ...learnt, failingSince: this.now() });
      return;
    }
    const failingMs = failedAt - failingSince;
    if (failingMs < this.settings.budgetMs) {
      if (changed) await run.updateData({ ...run.data, ...learnt });
      return;
    }
    await run.updateData({ ...data, ...learnt }); // a replay gets a budget of its own
    throw new RetryBudgetSpent(`CometChat failing for ${Math.round(failingMs / 1000)} s, past the retry budget; last: ${last}`);
  }

  /**
   * A 429 is not a failure of the reply, nor of this conversation: sending pauses for the whole replies queue,
   * across every process, until CometChat's window reopens, and then one send probes before the rest follow, so a
   * storm costs one call per window. The reply goes back to waiting, keeping its turn and its attempts.
   */
  private async deferRateLimited(run: Run, error: CometChatError, probe: boolean): Promise<never> {
    const rateLimited = (run.data.rateLimited ?? 0) + 1;
    if (rateLimited > MAX_RATE_LIMITED) {
      throw new ReplyRefused(error.status, `rate-limited ${MAX_RATE_LIMITED} times in a row; last: ${error.message}`);
    }
    const waitMs = error.retryAfterMs!;
    this.ports.log.warn({
      ...this.ports.lineOf(run, error),
      attempt: run.attemptsMade + 1,
      outcome: 'rate-limited',
      reason: `CometChat rate limit (429): sending paused for ${waitMs} ms`,
      waitMs,
    });
    this.breaker.limited(waitMs, probe);
    // CometChat answered this call: a send was not stored (a look's 429 leaves the earlier send unknown).
    await run.updateData({ ...run.data, rateLimited, outcomeUnknown: error.outcomeUnknown, stallsKnown: run.stalledCounter });
    await this.breakerOpened(waitMs, false);
    // The app's quota is spent (not this bot's own limit): every bot of the app waits.
    if (error.quota?.remaining === 0) await this.ports.pauses.pauseApp(waitMs);
    throw new SendsPaused(waitMs);
  }

  /** The quota CometChat reports: logged, and once it is spent, sending pauses until it resets. */
  private async honour({ remaining, resetInMs }: RateLimitQuota): Promise<void> {
    this.ports.log.debug(`CometChat quota: ${remaining} requests left${resetInMs !== undefined ? `, reset in ${resetInMs} ms` : ''}`);
    if (remaining > 0) return;
    const waitMs = Math.max(resetInMs ?? 1000, 1000);
    this.ports.log.warn(`CometChat quota spent (X-Rate-Limit-Remaining: 0): sending paused for ${waitMs} ms`);
    await this.ports.pauses.pauseApp(waitMs);
  }
}
