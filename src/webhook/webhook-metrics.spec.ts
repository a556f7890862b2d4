import { Registry } from 'prom-client';
import { NO_BOT, registerMetrics } from '../metrics/metric-definitions';
import { WebhookMetrics } from './webhook-metrics';

describe('WebhookMetrics', () => {
  it('counts a 200 by what the inbox made of it, and every other answer as refused, with its latency', async () => {
    const metrics = registerMetrics(new Registry());
    const webhook = new WebhookMetrics(metrics);
    webhook.answered('support-bot', 200, 'accepted', 2);
    webhook.answered('support-bot', 200, 'accepted', 4);
    webhook.answered('support-bot', 200, 'duplicate', 1);
    webhook.answered('support-bot', 401, null, 1);
    // A 503 after the inbox ran (the store failed) is still refused.
    webhook.answered('support-bot', 503, 'accepted', 1500);

    const counts = (await metrics.webhookRequests.get()).values.map(({ labels, value }) => ({ ...labels, value }));
    expect(counts).toEqual(
      expect.arrayContaining([
        { bot: 'support-bot', status: 200, outcome: 'accepted', value: 2 },
        { bot: 'support-bot', status: 200, outcome: 'duplicate', value: 1 },
        { bot: 'support-bot', status: 401, outcome: 'refused', value: 1 },
        { bot: 'support-bot', status: 503, outcome: 'refused', value: 1 },
      ]),
    );
    expect(counts).toHaveLength(4);
    const sums = (await metrics.webhookDuration.get()).values.filter((v) => v.metricName?.endsWith('_sum'));
    expect(sums.map(({ labels, value }) => ({ ...labels, value }))).toEqual(
      expect.arrayContaining([
        { bot: 'support-bot', outcome: 'accepted', value: 0.006 },
        { bot: 'support-bot', outcome: 'refused', value: 1.501 },
      ]),
    );
  });

  it("keeps each bot's answers apart, and those naming no served bot under NO_BOT", async () => {
    const metrics = registerMetrics(new Registry());
    const webhook = new WebhookMetrics(metrics);
    webhook.answered('support-bot', 200, 'accepted', 1);
    webhook.answered('sales-bot', 200, 'accepted', 1);
    webhook.answered('sales-bot', 200, 'accepted', 1);
    webhook.answered(NO_BOT, 404, null, 1);

    const counts = (await metrics.webhookRequests.get()).values.map(({ labels, value }) => ({ ...labels, value }));
    expect(counts).toEqual([
      { bot: 'support-bot', status: 200, outcome: 'accepted', value: 1 },
      { bot: 'sales-bot', status: 200, outcome: 'accepted', value: 2 },
      { bot: '', status: 404, outcome: 'refused', value: 1 },
    ]);
  });
});
