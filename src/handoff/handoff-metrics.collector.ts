import { Inject, Injectable } from '@nestjs/common';
import { handoffConfig, HandoffConfig } from '../config/app.config';
import { ServedBots } from '../config/served-bots';
import { botLabel } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';
import { HandoffStore } from './handoff.store';

/**
 * At scrape time, from Redis: the conversations handed off now, by bot (one script, whatever else runs), and the resumes
 * no process has counted yet: timeouts nobody looked at since, and those the CLI made (it has no metrics of its own).
 */
@Injectable()
export class HandoffMetricsCollector {
  constructor(
    private readonly store: HandoffStore,
    private readonly metrics: MetricsService,
    private readonly bots: ServedBots,
    @Inject(handoffConfig.KEY) private readonly config: Pick<HandoffConfig, 'timeoutMs'>,
  ) {
    metrics.beforeScrape(() => this.collect());
  }

  async collect(): Promise<void> {
    const { handedOffConversations, handoffResume } = this.metrics.metrics;
    const now = Date.now();
    const { handedOff, timedOut, noted } = await this.store.scrape(now);
    const counts = new Map(this.bots.all.map(({ uid }) => [uid, 0]));
    for (const conversation of handedOff) {
      const bot = this.labelOf(conversation);
      counts.set(bot, (counts.get(bot) ?? 0) + 1);
    }
    for (const [bot, count] of counts) handedOffConversations.set({ bot }, count);
    for (const conversation of timedOut) handoffResume.observe({ bot: this.labelOf(conversation), by: 'timeout' }, this.config.timeoutMs / 1000);
    for (const { conversation, by, since, at } of noted) {
      const seconds = by === 'timeout' || since === undefined ? this.config.timeoutMs / 1000 : Math.max(at - since, 0) / 1000;
      handoffResume.observe({ bot: this.labelOf(conversation), by }, seconds);
    }
  }

  /** A conversation's key names its bot when there are several (`support-bot/user-ana`); with one, it is that one's. */
  private labelOf(conversation: string): string {
    const slash = conversation.indexOf('/');
    return botLabel(this.bots.several ? this.bots.find(slash < 0 ? undefined : conversation.slice(0, slash)) : this.bots.all[0]);
  }
}
