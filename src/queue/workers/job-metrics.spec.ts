import type { Job } from 'bullmq';
import { Registry } from 'prom-client';
import { servedBots, testBot } from '../../config/testing/served-bots';
import { registerMetrics } from '../../metrics/metric-definitions';
import { JobMetrics } from './job-metrics';

/** BullMQ's job as the workers' events hand it over, with the fields JobMetrics reads. */
const job = (fields: Partial<Job>) => fields as Job;

const botsOf = (...uids: string[]) => servedBots(...uids.map((uid) => testBot({ uid })));

describe('JobMetrics', () => {
  let registry: Registry;
  let metrics: ReturnType<typeof registerMetrics>;
  let jobs: JobMetrics;

  beforeEach(() => {
    registry = new Registry();
    metrics = registerMetrics(registry);
    jobs = new JobMetrics(metrics, ['events', 'replies'], botsOf('support-bot'));
  });

  const values = async (metric: { get(): Promise<{ values: Array<{ labels: object; value: number; metricName?: string }> }> }) =>
    (await metric.get()).values;

  it('starts every queue and outcome at zero', async () => {
    expect(await values(metrics.jobs)).toHaveLength(6);
    expect((await values(metrics.jobs)).every((v) => v.value === 0)).toBe(true);
  });

  it('times a completed turn from its run to its completion, by the responder that took it ("none" for silence)', async () => {
    jobs.completed('events', job({ processedOn: 1000, finishedOn: 1250, returnvalue: { responder: 'echo', replies: [] } }));
    jobs.completed('events', job({ processedOn: 1000, finishedOn: 1100, returnvalue: { replies: [] } }));
    const counts = (await values(metrics.turnDuration)).filter((v) => v.metricName?.endsWith('_sum'));
    expect(counts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { bot: 'support-bot', responder: 'echo' }, value: 0.25 }),
        expect.objectContaining({ labels: { bot: 'support-bot', responder: 'none' }, value: 0.1 }),
      ]),
    );
    expect(
      (await values(metrics.jobs)).find((v) => JSON.stringify(v.labels) === '{"bot":"support-bot","queue":"events","outcome":"completed"}')?.value,
    ).toBe(2);
  });

  it('takes a reply latency from its callback being stored, only for a reply this run sent', async () => {
    const target = { type: 'user', id: 'ana' };
    jobs.completed('replies', job({ finishedOn: 5000, data: { target, receivedAt: 2000 }, returnvalue: { messageId: '1', alreadySent: false } }));
    jobs.completed('replies', job({ finishedOn: 9000, data: { target, receivedAt: 2000 }, returnvalue: { messageId: '1', alreadySent: true } }));
    jobs.completed('replies', job({ finishedOn: 9000, data: { target }, returnvalue: { messageId: '2', alreadySent: false } }));
    const sum = (await values(metrics.replyLatency)).find((v) => v.metricName?.endsWith('_sum'));
    const count = (await values(metrics.replyLatency)).find((v) => v.metricName?.endsWith('_count'));
    expect([sum?.value, count?.value]).toEqual([3, 1]);
    expect(sum?.labels).toEqual({ bot: 'support-bot' });
  });

  it('counts a failed run as retried, or failed when it is kept for good', async () => {
    const reply = job({ data: { target: { type: 'user', id: 'ana' } } });
    jobs.failed('replies', reply, false);
    jobs.failed('replies', reply, false);
    jobs.failed('replies', reply, true);
    const of = async (outcome: string) =>
      (await values(metrics.jobs)).find((v) => JSON.stringify(v.labels) === JSON.stringify({ bot: 'support-bot', queue: 'replies', outcome }))?.value;
    expect([await of('retried'), await of('failed')]).toEqual([2, 1]);
  });

  it("with several bots, starts each bot's series at zero and counts each job under its bot, a bot not served under none", async () => {
    metrics = registerMetrics(new Registry());
    jobs = new JobMetrics(metrics, ['events', 'replies'], botsOf('support-bot', 'sales-bot'));
    expect(await values(metrics.jobs)).toHaveLength(12);

    jobs.completed('events', job({ data: { bot: 'Sales-Bot' } as never }));
    jobs.completed('events', job({ data: { bot: 'billing-bot' } as never }));
    jobs.failed('replies', job({ data: { target: { type: 'user', id: 'ana', bot: 'support-bot' } } }), true);
    jobs.failed('replies', job({ data: 'not a reply' }), true);
    const counted = (await values(metrics.jobs)).filter((v) => v.value > 0).map(({ labels, value }) => ({ ...labels, value }));
    expect(counted).toHaveLength(4);
    expect(counted).toEqual(
      expect.arrayContaining([
        { bot: 'sales-bot', queue: 'events', outcome: 'completed', value: 1 },
        { bot: 'support-bot', queue: 'replies', outcome: 'failed', value: 1 },
        { bot: '', queue: 'events', outcome: 'completed', value: 1 },
        { bot: '', queue: 'replies', outcome: 'failed', value: 1 },
      ]),
    );
  });
});
