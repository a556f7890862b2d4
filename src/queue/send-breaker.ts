/** Consecutive failed sends that open the breaker: a blip retries as usual, an outage stops costing calls. */
export const BREAKER_THRESHOLD = 5;

/** `probe`: this send tests whether CometChat is back; settle it with answered(), failed() or released(). */
export type Admission = { go: true; probe: boolean } | { go: false; waitMs: number };

/**
 * A circuit breaker on sends to CometChat, one per process. After BREAKER_THRESHOLD consecutive failures it is
 * open: the replies queue is paused (queue-wide, so other processes wait too) for a window that doubles up to the
 * backoff ceiling, and when the window ends one send at a time probes (one across processes: ProbeLock). The first
 * answer from CometChat closes it.
 */
export class SendBreaker {
  private failures = 0;
  private probing = false;
  private openUntil = 0;

  constructor(
    /** The first window, and how long a send held back while another probes waits before it asks again. */
    readonly firstWindowMs: number,
    private readonly maxWindowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get open(): boolean {
    return this.failures >= BREAKER_THRESHOLD;
  }

  /** Whether a send may go: always while closed; while open, one probe once the window has passed. */
  admit(): Admission {
    if (!this.open) return { go: true, probe: false };
    const waitMs = this.openUntil - this.now();
    if (waitMs > 0 || this.probing) return { go: false, waitMs: Math.max(waitMs, this.firstWindowMs) };
    this.probing = true;
    return { go: true, probe: true };
  }

  /** CometChat answered (any status but a 5xx/408): closes the breaker. Returns whether it was open. */
  answered(): boolean {
    const wasOpen = this.open;
    this.failures = 0;
    this.probing = false;
    this.openUntil = 0;
    return wasOpen;
  }

  /** A send failed for want of CometChat: returns the pause to apply when this opens (or keeps open) the breaker. */
  failed(): number | undefined {
    this.failures += 1;
    this.probing = false;
    if (!this.open) return undefined;
    const windowMs = Math.min(this.firstWindowMs * 2 ** Math.min(this.failures - BREAKER_THRESHOLD, 30), this.maxWindowMs);
    this.openUntil = this.now() + windowMs;
    return windowMs;
  }

  /** A probe that ended without an answer either way: another may go. */
  released(): void {
    this.probing = false;
  }
}
