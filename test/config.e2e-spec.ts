import { botConfig, BotConfig, queueConfig, QueueConfig } from '../src/config/app.config';
import { TestApp } from './support/test-app';

/** The configuration is validated once and handed to the app: never re-read from the process environment. */
describe('configuration', () => {
  const apps: TestApp[] = [];
  const saved = { ...process.env };
  afterAll(async () => {
    process.env = saved;
    await Promise.all(apps.map((app) => app.close()));
  });

  it('keeps each app to its own settings, whatever the process environment says', async () => {
    process.env.BOT_UID = 'from-the-process';
    process.env.REPLIES_CONCURRENCY = 'not a number'; // would fail a boot that re-read process.env
    const first = await TestApp.start('config-first', { BOT_UID: 'first-bot', REPLIES_CONCURRENCY: '3' });
    apps.push(first);
    const second = await TestApp.start('config-second', { BOT_UID: 'second-bot' });
    apps.push(second);

    expect(first.app.get<BotConfig>(botConfig.KEY).uid).toBe('first-bot');
    expect(first.app.get<QueueConfig>(queueConfig.KEY).repliesConcurrency).toBe(3);
    expect(second.app.get<BotConfig>(botConfig.KEY).uid).toBe('second-bot');
    expect(second.app.get<QueueConfig>(queueConfig.KEY).repliesConcurrency).toBe(10);
  });
});
