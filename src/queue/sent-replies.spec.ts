import { Logger } from '@nestjs/common';
import { PrivateRedis } from '../../test/support/private-redis';
import { SentReplies } from './sent-replies';
import { RedisConnections } from '../redis';
import { WorkerRedis } from './worker-redis.service';

/** On a redis-server of its own, filled until it refuses writes (maxmemory with noeviction). */
describe('SentReplies', () => {
  let redis: PrivateRedis;
  let worker: WorkerRedis;
  let sent: SentReplies;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await PrivateRedis.start();
    worker = new WorkerRedis(new RedisConnections({ topology: { kind: 'single', url: redis.url }, prefix: 'unit-sent' }));
    sent = new SentReplies(worker);
  });
  afterAll(async () => {
    await worker.client.quit();
    await redis.stop();
    Logger.overrideLogger(['error', 'warn', 'log']);
  });

  it('records a confirmed send even when Redis refuses every other write, and finds it for a later run', async () => {
    await redis.outOfMemory();
    const other = redis.client();
    try {
      expect(await other.set('probe', 'x').catch((error: Error) => error.message)).toMatch(/OOM/);

      await sent.record('reply-1045-0', '9001');
      expect(await sent.sentAs('reply-1045-0')).toBe('9001');
      expect(await sent.sentAs('reply-1046-0')).toBeNull();

      await sent.forget('reply-1045-0'); // a delete frees memory: allowed out of memory too
      expect(await sent.sentAs('reply-1045-0')).toBeNull();
    } finally {
      other.disconnect();
    }
  });
});
