import { Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { RedisConfig, WebhookConfig } from '../../config/app.config';
import type { CometChatCallback } from '../../messages';
import { PrivateRedis } from '../../../test/support/private-redis';
import { RedisConnections, ReplicaAck } from '../../redis';
import { EventsProducer, MessageNotStorableError, MessageNotStoredError } from './events.producer';
import { IngestTurns } from '../turns';

/** The producer on the Redis at REDIS_URL with a real BullMQ queue, as the webhook uses it. */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const callback = (id: string, sender = 'cometchat-uid-1'): CometChatCallback => ({
  trigger: 'after_message',
  data: { id, sender, receiver: 'support-bot', receiverType: 'user', category: 'message', type: 'text', data: { text: 'hi' } },
});

describe('EventsProducer', () => {
  let prefix: string;
  let events: Queue;
  let redis: Redis;
  let producer: EventsProducer;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  const start = (queueUrl = url, enqueueTimeoutMs = 1500, waitReplicas = 0) => {
    events = new Queue('events', { prefix, connection: { url: queueUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
    events.on('error', () => undefined);
    producer = new EventsProducer(
      events,
      { enqueueTimeoutMs } as WebhookConfig,
      { prefix } as RedisConfig,
      new ReplicaAck({ waitReplicas }),
      new IngestTurns(events, { prefix } as RedisConnections, { recoveryCheckMs: 10_000 }),
    );
    producer.onModuleInit();
  };
  const line = (sender: string) => redis.zrange(`${prefix}:events:line:user-${sender}`, '0', '-1');
  /** Polls until the line holds exactly `members` (a place taken back goes a round trip after its claim). */
  const lineBecomes = async (sender: string, members: string[]) => {
    for (let i = 0; i < 100 && JSON.stringify(await line(sender)) !== JSON.stringify(members); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await line(sender)).toEqual(members);
  };

  const waitFor = async (condition: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await condition()).toBe(true);
  };

  beforeEach(() => {
    prefix = `unit-producer-${randomBytes(4).toString('hex')}`;
    redis = new Redis(url);
  });
  afterEach(async () => {
    await events.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("stores the callbacks of one turn, each in its conversation's line, and tells a redelivery apart", async () => {
    start();
    const answers = await Promise.all([
      producer.store(callback('2', 'alice')),
      producer.store(callback('1', 'alice')),
      producer.store(callback('9', 'bob')),
    ]);
    expect(answers).toEqual(['accepted', 'accepted', 'accepted']);
    expect(await line('alice')).toEqual(['00011:1', '00012:2']); // by id, whatever the arrival
    expect(await line('bob')).toEqual(['00019:9']);
    // Alice's second message of the turn is stored parked (delayed); it heads her free line, so it is promoted.
    const stored = async () => (await events.getJobs(['waiting', 'delayed'])).map((job) => job.data);
    expect(await stored()).toEqual(expect.arrayContaining([callback('1', 'alice'), callback('2', 'alice'), callback('9', 'bob')]));

    expect(await producer.store(callback('2', 'alice'))).toBe('duplicate');
    expect(await stored()).toHaveLength(3);
  });

  it('stores the next message of a busy conversation parked, marked for the hand-off; one heading a free line is promoted', async () => {
    start();
    const turn = `${prefix}:events:turn:user-carol`;
    const jobOf = async (id: string) => (await events.getJobs(['waiting', 'delayed'])).find((job) => job.data.data.id === id)!;
    const stateOf = async (id: string) => (await jobOf(id)).getState();
    expect(await producer.store(callback('10', 'carol'))).toBe('accepted');
    expect(await producer.store(callback('11', 'carol'))).toBe('accepted'); // finds 10 ahead: carol is busy
    expect(await stateOf('11')).toBe('waiting'); // taken as busy only from now on
    expect(await producer.store(callback('12', 'carol'))).toBe('accepted');
    expect(await stateOf('12')).toBe('delayed');
    await waitFor(async () => (await redis.hget(turn, 'p:000212:12')) === (await jobOf('12')).id);

    // The turns ahead end before the next one is stored: it heads a free line, and is promoted at once.
    await redis.zrem(`${prefix}:events:line:user-carol`, '000210:10', '000211:11', '000212:12');
    expect(await producer.store(callback('13', 'carol'))).toBe('accepted');
    await waitFor(async () => (await stateOf('13')) === 'waiting');
    expect(await redis.hget(turn, 'p:000213:13')).toBe(`~${(await jobOf('13')).id}`); // marked woken: nobody else promotes it
    expect(await stateOf('12')).toBe('delayed'); // out of line here; the hand-off would have promoted it
  });

  it('with REDIS_WAIT_REPLICAS, answers accepted only once the replica has the message', async () => {
    const master = await PrivateRedis.start();
    const replica = await PrivateRedis.replicaOf(master);
    try {
      start(master.url, 1500, 1);
      expect(await producer.store(callback('30'))).toBe('accepted'); // connected and warm
      const { value: answer, waited } = await replica.frozenFor(50, () => producer.store(callback('31')));
      expect(answer).toBe('accepted');
      expect(waited).toBe(true); // not answered while the replica could not have it
      expect(await replica.use((c) => c.exists(`${prefix}:events:de:31`))).toBe(1);
    } finally {
      await events.close();
      await replica.stop();
      await master.stop();
    }
  });

  it('takes back the place of a redelivered message that already ran', async () => {
    start();
    expect(await producer.store(callback('5'))).toBe('accepted');
    await redis.zrem(`${prefix}:events:line:user-cometchat-uid-1`, '00015:5'); // its turn was taken
    expect(await producer.store(callback('5'))).toBe('duplicate');
    expect(await producer.store(callback('6'))).toBe('accepted');
    await lineBecomes('cometchat-uid-1', ['00016:6']);
  });

  it('refuses a message that cannot be serialised as not storable, and takes its place back', async () => {
    start();
    const poison = callback('7');
    Object.defineProperty(poison.data, 'huge', {
      enumerable: true,
      get() {
        throw new RangeError('Invalid string length');
      },
    });
    await expect(producer.store(poison)).rejects.toBeInstanceOf(MessageNotStorableError);
    expect(await producer.store(callback('8'))).toBe('accepted');
    await lineBecomes('cometchat-uid-1', ['00018:8']);
  });

  it('answers "not stored" in time when Redis does not answer', async () => {
    start('redis://127.0.0.1:1', 200);
    const began = Date.now();
    await expect(producer.store(callback('3'))).rejects.toBeInstanceOf(MessageNotStoredError);
    expect(Date.now() - began).toBeLessThan(1000);
  });
});
