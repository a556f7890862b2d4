import { AddressInfo, createServer, Server, Socket } from 'node:net';
import Redis from 'ioredis';
import { batchWritesOnAnswers, WriteBatcher } from './write-batcher';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatcher', () => {
  let server: Server;
  let client: Socket;
  let received: Buffer[];

  beforeEach(async () => {
    received = [];
    server = createServer((socket) => socket.on('data', (chunk) => received.push(chunk)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new Socket();
    await new Promise<void>((resolve) => client.connect((server.address() as AddressInfo).port, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the writes of one turn in the socket until the turn ends, then sends them together', async () => {
    const batcher = new WriteBatcher({ stream: client });
    batcher.hold();
    client.write('ZADD ...\r\n');
    client.write('EVALSHA ...\r\n');
    batcher.hold(); // a second message in the same turn joins the same batch
    client.write('ZADD ...\r\n');

    expect(client.writableCorked).toBe(1);
    expect(client.writableLength).toBeGreaterThan(0); // nothing has left yet

    await nextTurn();
    expect(client.writableCorked).toBe(0);
    expect(client.writableLength).toBe(0);
    const sent = 'ZADD ...\r\nEVALSHA ...\r\nZADD ...\r\n';
    await waitUntil(() => Buffer.concat(received).toString() === sent);
  });

  it('holds again in a later turn', async () => {
    const batcher = new WriteBatcher({ stream: client });
    batcher.hold();
    await nextTurn();
    batcher.hold();
    expect(client.writableCorked).toBe(1);
    await nextTurn();
    expect(client.writableCorked).toBe(0);
  });

  it('does nothing without a writable socket (not connected yet, or a Cluster client)', () => {
    expect(() => new WriteBatcher({ stream: undefined as unknown as Socket }).hold()).not.toThrow();
    client.destroy();
    new WriteBatcher({ stream: client }).hold();
    expect(client.writableCorked).toBe(0);
  });

  it('batchWritesOnAnswers: what a connection sends in answer to a reply is held until that turn ends, after a reconnect too', async () => {
    const redis = batchWritesOnAnswers(new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));
    const plain = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const heldAfterAnswer = (r: Redis) => r.ping().then(() => r.stream.writableCorked);
      expect(await heldAfterAnswer(redis)).toBe(1);
      expect(await heldAfterAnswer(plain)).toBe(0);
      expect(await redis.ping()).toBe('PONG'); // and the held writes do leave

      redis.disconnect(true);
      expect(await heldAfterAnswer(redis)).toBe(1);
    } finally {
      redis.disconnect();
      plain.disconnect();
    }
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met in time');
}
