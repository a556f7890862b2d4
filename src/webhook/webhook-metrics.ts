import type { Counter, Histogram } from 'prom-client';
import type { Metrics, WebhookOutcome } from '../metrics/metric-definitions';

interface Answer {
  count: Counter.Internal;
  latency: Histogram.Internal<'bot' | 'outcome'>;
}

/**
 * The webhook's requests by bot, status and outcome, and their latency. The few label sets there are (the bots are the
 * configured ones, see botLabel) keep their series handles, so a request costs no label hashing on the hot path.
 */
export class WebhookMetrics {
  private readonly answers = new Map<string, Answer>();

  constructor(private readonly metrics: Metrics) {}

  /**
   * An answer sent for `bot` (its label: a served bot's UID, or NO_BOT): a 200 comes to what the inbox made of it;
   * anything else was refused. Returns that outcome.
   */
  answered(bot: string, status: number, inboxOutcome: WebhookOutcome | null, elapsedMs: number): WebhookOutcome {
    const outcome: WebhookOutcome = status === 200 && inboxOutcome ? inboxOutcome : 'refused';
    const key = `${bot}:${status}:${outcome}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = {
        count: this.metrics.webhookRequests.labels({ bot, status, outcome }),
        latency: this.metrics.webhookDuration.labels({ bot, outcome }),
      };
      this.answers.set(key, answer);
    }
    answer.count.inc();
    answer.latency.observe(elapsedMs / 1000);
    return outcome;
  }
}
