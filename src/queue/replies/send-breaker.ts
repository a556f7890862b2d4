/** Consecutive failed sends that open the breaker: a blip retries as usual, an outage stops costing calls. */
export const BREAKER_THRESHOLD = 5;

/** `probe`: this send tests whether CometChat takes sends again; settle it with answered(), failed(), limited() or released(). */
export type Admission = { go: true; probe: boolean } | { go: false; waitMs: number };

/**
 * A circuit breaker on sends to CometChat, one per process. It opens on BREAKER_THRESHOLD consecutive failures
 * (CometChat down), on a 429 (CometChat asking us to wait), or on another process's word that its breaker opened
 * (BreakerBroadcast). While open, the replies queue is paused (queue-wide, so other processes wait too), and when
 * the pause ends one send at a time probes (one across processes: ProbeLock); the first send CometChat takes closes
 * it. An outage's window doubles with each failed probe, up to the backoff ceiling; a 429's is the wait it asked for.
 * Sends already in flight when it opened do not lengthen it.
 */
export class SendBreaker {
  private failures = 0;
  /** Open until a probe goes through, whatever the failure count: a 429, or another process's breaker. */
  private awaitingProbe = false;
  /** Outage windows opened since CometChat last took a send: the next one is firstWindowMs × 2^windows. */
  private windowsOpened = 0;
  private probing = false;
  private openUntil = 0;
  /** When a send last failed for want of CometChat (here or, as told, elsewhere) since it last took one. */
  private failedAt?: number;

  constructor(
    /** The first window, and how long a send held back while another probes waits before it asks again. */
    readonly firstWindowMs: number,
    private readonly maxWindowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get open(): boolean {
    return this.failures >= BREAKER_THRESHOLD || this.awaitingProbe;
  }

  /**
   * Whether a send may go: always while closed; while open, one probe once the window has passed. `mustProbe`: the
   * reply itself met a 429 (maybe in another process, whose breaker this one has not heard of), so it goes as a probe.
   */
  admit(mustProbe = false): Admission {
    if (!this.open && !mustProbe) return { go: true, probe: false };
    const waitMs = this.openUntil - this.now();
    if (waitMs > 0 || this.probing) return { go: false, waitMs: Math.max(waitMs, this.firstWindowMs) };
    this.probing = true;
    return { go: true, probe: true };
  }

  /** CometChat took a send (or refused it for good): closes the breaker. Returns whether it was open. */
  answered(): boolean {
    const wasOpen = this.open;
    this.failures = 0;
    this.awaitingProbe = false;
    this.windowsOpened = 0;
    this.probing = false;
    this.openUntil = 0;
    this.failedAt = undefined;
    return wasOpen;
  }

  /**
   * A send failed for want of CometChat. Returns the pause to apply when this opens the breaker or is a failed probe
   * (the window doubles); undefined otherwise, a send that was in flight when the breaker opened included.
   */
  failed(probe = false): number | undefined {
    this.failures += 1;
    this.failedAt = this.now();
    if (probe) this.probing = false;
    if (!this.open || (this.windowsOpened > 0 && !probe)) return undefined;
    const windowMs = Math.min(this.firstWindowMs * 2 ** Math.min(this.windowsOpened, 30), this.maxWindowMs);
    this.windowsOpened += 1;
    this.openUntil = Math.max(this.openUntil, this.now() + windowMs);
    return windowMs;
  }

  /** CometChat answered 429, asking for `waitMs`: open until then, and the first send after it probes. */
  limited(waitMs: number, probe = false): void {
    this.awaitingProbe = true;
    this.failures = 0; // it answers: not an outage
    if (probe) this.probing = false;
    this.openUntil = Math.max(this.openUntil, this.now() + waitMs);
  }

  /** Outage windows opened since CometChat last took a send (told to the other processes with the window). */
  get windows(): number {
    return this.windowsOpened;
  }

  /** The last failure seen of CometChat since it last took a send (a 429 is none): the evidence a held reply's budget counts to. */
  get lastFailureAt(): number | undefined {
    return this.failedAt;
  }

  /**
   * Another process's breaker opened for `forMs` after `windows` windows, `failing` (an outage) or not (a 429): this one
   * waits as long, then probes.
   */
  openedElsewhere(forMs: number, windows: number, failing: boolean): void {
    if (failing) this.failedAt = this.now();
    this.awaitingProbe = true;
    this.windowsOpened = Math.max(this.windowsOpened, windows);
    this.openUntil = Math.max(this.openUntil, this.now() + forMs);
  }

  /** A probe that ended without an answer either way: another may go. */
  released(): void {
    this.probing = false;
  }
}
