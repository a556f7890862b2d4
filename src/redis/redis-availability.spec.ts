import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { RedisClient } from './redis-connection.factory';
import { RedisAvailability } from './redis-availability';

/** Just what RedisAvailability reads of an ioredis client: its events and its status. */
class FakeClient extends EventEmitter {
  status = 'connecting';
  ready(): void {
    this.status = 'ready';
    this.emit('ready');
  }
  drop(error?: string): void {
    if (error) this.emit('error', new Error(error));
    this.status = 'reconnecting';
    this.emit('close');
  }
  fail(error: string): void {
    this.status = 'connecting';
    this.emit('error', new Error(error));
    this.status = 'reconnecting';
    this.emit('close');
  }
}

describe('RedisAvailability', () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  let availability: RedisAvailability;
  let worker: FakeClient;
  let producer: FakeClient;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    availability = new RedisAvailability();
    worker = new FakeClient();
    producer = new FakeClient();
    availability.watch(worker as unknown as RedisClient, 'worker');
    availability.watch(producer as unknown as RedisClient, 'producer');
    worker.ready();
    producer.ready();
  });
  afterEach(() => jest.restoreAllMocks());

  it('logs nothing while Redis answers', () => {
    expect(availability.down).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });

  it('logs a loss once, with its reason, however many connections and reconnect attempts fail', () => {
    worker.drop('read ECONNRESET');
    producer.drop();
    for (let attempt = 0; attempt < 10; attempt++) {
      worker.fail('connect ECONNREFUSED 127.0.0.1:6379');
      producer.fail('connect ECONNREFUSED 127.0.0.1:6379');
    }
    expect(availability.down).toBe(true);
    expect(warn.mock.calls).toEqual([[{ msg: 'Redis connection lost', connection: 'worker', reason: 'read ECONNRESET' }]]);
    expect(log).not.toHaveBeenCalled();
  });

  it('logs the restoration once, when every connection that lost Redis has it again', () => {
    worker.drop();
    producer.fail('connect ECONNREFUSED 127.0.0.1:6379');
    worker.ready();
    expect(availability.down).toBe(true);
    expect(log).not.toHaveBeenCalled();
    producer.ready();
    expect(availability.down).toBe(false);
    expect(log.mock.calls).toEqual([
      [expect.objectContaining({ msg: 'Redis connection restored', connection: 'producer', downMs: expect.any(Number) })],
    ]);
    expect(warn.mock.calls).toEqual([[expect.objectContaining({ reason: 'connection closed' })]]);
  });

  it('logs the next outage again', () => {
    worker.drop();
    worker.ready();
    worker.fail('connect ECONNREFUSED 127.0.0.1:6379');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1][0]).toMatchObject({ reason: 'connect ECONNREFUSED 127.0.0.1:6379' });
  });

  it('takes an error on a connection that stays up for no loss', () => {
    worker.emit('error', new Error('a passing error'));
    expect(availability.down).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  it('takes the app closing its connections for no loss', () => {
    availability.close();
    worker.drop();
    producer.drop();
    expect(warn).not.toHaveBeenCalled();
  });
});
