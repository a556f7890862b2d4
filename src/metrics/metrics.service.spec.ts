import { Logger } from '@nestjs/common';
import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  it('runs every collector, at once, before the registry is read; one that fails does not fail the scrape', async () => {
    const service = new MetricsService();
    const started: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    service.beforeScrape(async () => {
      started.push('first');
      await held;
      service.metrics.queueJobs.set({ queue: 'events', state: 'waiting' }, 7);
    });
    service.beforeScrape(async () => {
      started.push('second');
      throw new Error('Redis is away');
    });

    const scrape = service.scrape();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['first', 'second']); // the second did not wait for the first
    release();
    const text = await scrape;
    expect(text).toContain('cometchat_bot_queue_jobs{queue="events",state="waiting"} 7');
    expect(text).toContain('cometchat_bot_process_cpu_user_seconds_total');
  });
});
