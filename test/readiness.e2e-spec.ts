import { fixture } from './support/fixtures';
import { PrivateRedis } from './support/private-redis';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** /health/ready says whether Redis takes writes, not only whether it answers: on private redis-servers. */
describe('readiness', () => {
  const ready = (app: TestApp) => app.app.inject({ method: 'GET', url: '/health/ready' });

  it('fails while Redis is out of memory (noeviction), with the reason, and recovers with it', async () => {
    const redis = await PrivateRedis.start();
    const app = await TestApp.start('ready-oom', { REDIS_URL: redis.url, APP_ROLE: 'api' });
    try {
      expect((await ready(app)).statusCode).toBe(200);
      await redis.outOfMemory();
      const res = await ready(app);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'error', details: { redis: { status: 'down' } } });
      expect(res.json().details.redis.message).toMatch(/OOM/);
      expect((await app.post(fixture('user-text'))).statusCode).toBe(503);

      await redis.outOfMemory(false);
      await waitFor('readiness to return', async () => (await ready(app)).statusCode === 200);
      expect((await app.post(fixture('user-text'))).json()).toMatchObject({ status: 'accepted' });
    } finally {
      await app.close({ keepKeys: true });
      await redis.stop();
    }
  });

  it('fails on a read-only replica, saying so', async () => {
    const primary = await PrivateRedis.start();
    const replica = await PrivateRedis.start(['--replicaof', '127.0.0.1', String(primary.port)]);
    const app = await TestApp.start('ready-replica', { REDIS_URL: replica.url, APP_ROLE: 'api' });
    try {
      const res = await ready(app);
      expect(res.statusCode).toBe(503);
      expect(res.json().details.redis.message).toMatch(/READONLY/);
    } finally {
      await app.close({ keepKeys: true });
      await replica.stop();
      await primary.stop();
    }
  });

  it('in APP_ROLE=worker, serves readiness on PORT with its workers running, and no webhook', async () => {
    const worker = await TestApp.start('ready-worker', { APP_ROLE: 'worker' });
    try {
      const res = await ready(worker);
      expect(res.statusCode).toBe(200);
      expect(res.json().details).toMatchObject({ redis: { status: 'up' }, workers: { status: 'up' } });
      expect((await worker.post(fixture('user-text'))).statusCode).toBe(404);
    } finally {
      await worker.close();
    }
  });
});
