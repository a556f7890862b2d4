import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { PrivateRedis } from '../../test/support/private-redis';
import { ReplicaAck } from './replica-ack';

/** A master and its replica of the test's own; the replica frozen (SIGSTOP) to stop it acknowledging. */
describe('ReplicaAck', () => {
  let master: PrivateRedis;
  let replica: PrivateRedis;
  let writer: Redis;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    master = await PrivateRedis.start();
    replica = await PrivateRedis.replicaOf(master);
    writer = master.client();
  });
  afterAll(async () => {
    writer.disconnect();
    await replica.stop();
    await master.stop();
    Logger.overrideLogger(['error', 'warn', 'log']);
  });

  it('resolves only once the replica has the write: a replica that stops acknowledging holds it back', async () => {
    const ack = new ReplicaAck({ waitReplicas: 1 });
    await writer.set('k1', 'v1');
    const { waited } = await replica.frozenFor(50, () => ack.confirm(writer, 'k1', 'test writes'));
    expect(waited).toBe(true);
    expect(await replica.use((c) => c.get('k1'))).toBe('v1');
  });

  it('asks nothing when no replica is wanted (REDIS_URL): not even a connection is needed', async () => {
    const offline = new Redis({ port: master.port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      await expect(new ReplicaAck({ waitReplicas: 0 }).confirm(offline, 'k2', 'test writes')).resolves.toBeUndefined();
      await expect(new ReplicaAck({ waitReplicas: 1 }).confirm(offline, 'k2', 'test writes')).rejects.toThrow();
    } finally {
      offline.disconnect();
    }
  });

  it('short of replicas, waits once, then goes on without WAIT for a while: writes are not slowed by one each', async () => {
    const ack = new ReplicaAck({ waitReplicas: 2 }); // one replica only: always short
    await writer.set('k3', 'v3');
    const first = Date.now();
    await ack.confirm(writer, 'k3', 'test writes');
    expect(Date.now() - first).toBeGreaterThanOrEqual(150); // the WAIT ran out (200 ms)
    const began = Date.now();
    for (let n = 0; n < 10; n++) await ack.confirm(writer, 'k3', 'test writes');
    expect(Date.now() - began).toBeLessThan(1000); // ten full WAITs would be 2 s
  });

  it('fails when the connection does, so the writer writes again (on the new master)', async () => {
    const ack = new ReplicaAck({ waitReplicas: 1 });
    const doomed = await PrivateRedis.start();
    const client = doomed.client();
    await client.set('k4', 'v4');
    const outcome = ack.confirm(client, 'k4', 'test writes').then(
      () => 'confirmed',
      (error: Error) => error,
    );
    await doomed.stop(); // while the WAIT blocks: it has no replica
    expect(await outcome).toBeInstanceOf(Error);
    client.disconnect();
  });
});
