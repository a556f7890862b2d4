import type { Counter, Histogram } from 'prom-client';
import type { Metrics, WebhookOutcome } from '../metrics/metric-definitions';

interface Answer {
  count: Counter.Internal;
  latency: Histogram.Internal<'outcome'>;
}

/**
 * The webhook's requests by status and outcome, and their latency. The few label sets there are keep their
 * series handles, so a request costs no label hashing on the hot path.
 */
export class WebhookMetrics {
  private readonly answers = new Map<string, Answer>();

  constructor(private readonly metrics: Metrics) {}

  /** An answer sent: a 200 comes to what the inbox made of it; anything else was refused. Returns that outcome. */
  answered(status: number, inboxOutcome: WebhookOutcome | null, elapsedMs: number): WebhookOutcome {
    const outcome: WebhookOutcome = status === 200 && inboxOutcome ? inboxOutcome : 'refused';
    const key = `${status}:${outcome}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = {
        count: this.metrics.webhookRequests.labels({ status, outcome }),
        latency: this.metrics.webhookDuration.labels({ outcome }),
      };
      this.answers.set(key, answer);
    }
    answer.count.inc();
    answer.latency.observe(elapsedMs / 1000);
    return outcome;
  }
}
