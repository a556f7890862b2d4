import { Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { QueueConfig } from '../../config/app.config';
import { PrivateRedis } from '../../../test/support/private-redis';
import { SentReplies } from './sent-replies';
import { RedisConnections, ReplicaAck } from '../../redis';
import type { ReplyJobData } from '../job-contracts';
import { ReplyTurns } from '../turns';
import { WorkerRedis } from '../../redis/worker-redis.service';

/** On a redis-server of its own, filled until it refuses writes (maxmemory with noeviction). */
describe('SentReplies', () => {
  let redis: PrivateRedis;
  let worker: WorkerRedis;
  let sent: SentReplies;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await PrivateRedis.start();
    worker = new WorkerRedis(new RedisConnections({ topology: { kind: 'single', url: redis.url }, prefix: 'unit-sent' }));
    sent = new SentReplies(worker, new ReplicaAck({ waitReplicas: 0 }));
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

      // As the replies worker records it: in one step with the end of the reply's turn.
      const turns = new ReplyTurns(worker, { name: 'replies' } as Queue<ReplyJobData>, { recoveryCheckMs: 10_000 } as QueueConfig);
      const job = { id: 'reply-1047-0', data: { target: { type: 'user', id: 'alice' } } } as Job<ReplyJobData>;
      await sent.record('reply-1047-0', '9003', (record) => turns.release(job, record));
      expect(await sent.sentAs('reply-1047-0')).toBe('9003');
    } finally {
      other.disconnect();
    }
  });

  it('forgets the records of completions close together in one command', async () => {
    await redis.outOfMemory(false);
    const ids = ['reply-1100-0', 'reply-1101-0', 'reply-1102-0'];
    for (const id of ids) await sent.record(id, '9200');
    const dels = async () => Number((await worker.client.info('commandstats')).match(/cmdstat_del:calls=(\d+)/)?.[1] ?? 0);
    const before = await dels();
    await Promise.all(ids.map((id) => sent.forget(id)));
    expect(await dels()).toBe(before + 1);
    for (const id of ids) expect(await sent.sentAs(id)).toBeNull();
  });

  describe('with a replica asked for (REDIS_WAIT_REPLICAS=1)', () => {
    let replica: PrivateRedis;
    let waiting: SentReplies;

    beforeAll(async () => {
      replica = await PrivateRedis.replicaOf(redis);
      waiting = new SentReplies(worker, new ReplicaAck({ waitReplicas: 1 }));
    });
    afterAll(async () => {
      await replica.stop();
    });

    it('resolves only once the replica holds the record: a failover right after cannot lose it', async () => {
      await redis.outOfMemory(false);
      await waiting.record('reply-2001-0', '9101');
      // No wait here: WAIT answered only after the replica had it.
      expect(await replica.use((c) => c.get('unit-sent:replies:sent:reply-2001-0'))).toBe('9101');
    });

    it('keeps sending when the replica is gone: kept on the master, and later sends not slowed by a full WAIT each', async () => {
      await replica.stop();
      await waiting.record('reply-2002-0', '9102');
      expect(await sent.sentAs('reply-2002-0')).toBe('9102');
      // Ten more while the replica is missing: a full WAIT (200 ms) each would take 2 s.
      const began = Date.now();
      for (let n = 0; n < 10; n++) await waiting.record(`reply-2003-${n}`, `92${n}`);
      expect(Date.now() - began).toBeLessThan(1000);
      expect(await sent.sentAs('reply-2003-9')).toBe('929');
    });
  });
});
