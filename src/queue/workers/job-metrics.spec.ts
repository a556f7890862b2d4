import type { Job } from 'bullmq';
import { Registry } from 'prom-client';
import { registerMetrics } from '../../metrics/metric-definitions';
import { JobMetrics } from './job-metrics';

/** BullMQ's job as the workers' events hand it over, with the fields JobMetrics reads. */
const job = (fields: Partial<Job>) => fields as Job;

describe('JobMetrics', () => {
  let registry: Registry;
  let metrics: ReturnType<typeof registerMetrics>;
  let jobs: JobMetrics;

  beforeEach(() => {
    registry = new Registry();
    metrics = registerMetrics(registry);
    jobs = new JobMetrics(metrics, ['events', 'replies']);
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
        expect.objectContaining({ labels: { responder: 'echo' }, value: 0.25 }),
        expect.objectContaining({ labels: { responder: 'none' }, value: 0.1 }),
      ]),
    );
    expect((await values(metrics.jobs)).find((v) => JSON.stringify(v.labels) === '{"queue":"events","outcome":"completed"}')?.value).toBe(2);
  });

  it('takes a reply latency from its callback being stored, only for a reply this run sent', async () => {
    jobs.completed('replies', job({ finishedOn: 5000, data: { receivedAt: 2000 } as never, returnvalue: { messageId: '1', alreadySent: false } }));
    jobs.completed('replies', job({ finishedOn: 9000, data: { receivedAt: 2000 } as never, returnvalue: { messageId: '1', alreadySent: true } }));
    jobs.completed('replies', job({ finishedOn: 9000, data: {} as never, returnvalue: { messageId: '2', alreadySent: false } }));
    const sum = (await values(metrics.replyLatency)).find((v) => v.metricName?.endsWith('_sum'));
    const count = (await values(metrics.replyLatency)).find((v) => v.metricName?.endsWith('_count'));
    expect([sum?.value, count?.value]).toEqual([3, 1]);
  });

  it('counts a failed run as retried, or failed when it is kept for good', async () => {
    jobs.failed('replies', false);
    jobs.failed('replies', false);
    jobs.failed('replies', true);
    const of = async (outcome: string) =>
      (await values(metrics.jobs)).find((v) => JSON.stringify(v.labels) === JSON.stringify({ queue: 'replies', outcome }))?.value;
    expect([await of('retried'), await of('failed')]).toEqual([2, 1]);
  });
});
