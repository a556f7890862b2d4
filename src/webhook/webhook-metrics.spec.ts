import { Registry } from 'prom-client';
import { registerMetrics } from '../metrics/metric-definitions';
import { WebhookMetrics } from './webhook-metrics';

describe('WebhookMetrics', () => {
  it('counts a 200 by what the inbox made of it, and every other answer as refused, with its latency', async () => {
    const metrics = registerMetrics(new Registry());
    const webhook = new WebhookMetrics(metrics);
    webhook.answered(200, 'accepted', 2);
    webhook.answered(200, 'accepted', 4);
    webhook.answered(200, 'duplicate', 1);
    webhook.answered(401, null, 1);
    // A 503 after the inbox ran (the store failed) is still refused.
    webhook.answered(503, 'accepted', 1500);

    const counts = (await metrics.webhookRequests.get()).values.map(({ labels, value }) => ({ ...labels, value }));
    expect(counts).toEqual(
      expect.arrayContaining([
        { status: 200, outcome: 'accepted', value: 2 },
        { status: 200, outcome: 'duplicate', value: 1 },
        { status: 401, outcome: 'refused', value: 1 },
        { status: 503, outcome: 'refused', value: 1 },
      ]),
    );
    expect(counts).toHaveLength(4);
    const sums = (await metrics.webhookDuration.get()).values.filter((v) => v.metricName?.endsWith('_sum'));
    expect(sums.map(({ labels, value }) => ({ ...labels, value }))).toEqual(
      expect.arrayContaining([
        { outcome: 'accepted', value: 0.006 },
        { outcome: 'refused', value: 1.501 },
      ]),
    );
  });
});
