import { Job, Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../../messages';
import { absorbedKey, batchKey, LineCommands, lineKeys } from './line-commands';
import { MAX_BATCH, TurnCoalescer } from './turn-coalescer';
import { TurnSequencer } from './turn-sequencer';

/** The coalescing scripts against the Redis at REDIS_URL, with a real BullMQ queue, as the service uses them. */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const conversation: Conversation = { type: 'user', id: 'burst-user' };

interface Data {
  ref: string;
  text: string;
}

describe('TurnCoalescer', () => {
  let prefix: string;
  let redis: Redis;
  let queue: Queue<Data>;
  let turns: TurnSequencer;
  let commands: LineCommands;
  let coalescer: TurnCoalescer<Data>;

  beforeEach(() => {
    prefix = `unit-coalesce-${randomBytes(4).toString('hex')}`;
    redis = new Redis(url, { maxRetriesPerRequest: null });
    queue = new Queue('q', { connection: { url }, prefix });
    commands = new LineCommands(redis, prefix, 'q');
    turns = new TurnSequencer({ queue, commands, recoveryCheckMs: 30_000, jobIdOf: async (ref) => `job-${ref}` });
    coalescer = new TurnCoalescer(queue, commands);
  });

  afterEach(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const keys = () => lineKeys(prefix, 'q', conversation);
  const claim = (ref: string) => commands.claimMessages([{ conversation, messageId: ref, jobId: `job-${ref}` }]);
  /** As the webhook stores a message: its place in line, then its job. */
  async function arrive(ref: string, text = ref): Promise<Job<Data>> {
    await claim(ref);
    return queue.add('m', { ref, text }, { jobId: `job-${ref}` });
  }
  /** The job takes its turn (it heads the line and nobody holds it). */
  async function granted(job: Job<Data>): Promise<void> {
    expect((await turns.enter(job, undefined, conversation, job.data.ref)).kind).toBe('turn');
  }
  /** As the events processor absorbs: those waiting behind the turn that `accepts` takes, up to the first it does not. */
  async function absorb(ref: string, accepts: (data: Data) => boolean = () => true) {
    const behind = await coalescer.behind(conversation, `job-${ref}`);
    if ('recorded' in behind) return behind.recorded;
    const refused = behind.waiting.findIndex((entry) => !accepts(entry.data));
    return coalescer.absorb(conversation, `job-${ref}`, ref, refused < 0 ? behind.waiting : behind.waiting.slice(0, refused));
  }
  const refsOf = (entries: Array<{ data: Data }>) => entries.map((e) => e.data.ref);

  it('takes the stored messages waiting right behind the turn, oldest first, and records them before anything runs', async () => {
    const first = await arrive('100');
    await granted(first);
    await arrive('102', 'help with my order');
    await arrive('101', 'I need');

    const batch = await absorb('100');

    expect(refsOf(batch)).toEqual(['101', '102']);
    expect(batch[0]).toMatchObject({ jobId: 'job-101', data: { text: 'I need' } });
    expect(batch[0].timestamp).toBe((await queue.getJob('job-101'))!.timestamp);
    expect(await redis.zrange(keys().line, '0', '-1')).toEqual([]);
    // Each absorbed job is marked with the message that answers it; the turn record keeps nothing of theirs.
    expect(await redis.get(absorbedKey(prefix, 'q', 'job-101'))).toBe('100');
    expect(Object.keys(await redis.hgetall(keys().turn)).sort()).toEqual(['m', 'n', 'owner', 'since']);
    expect(await redis.pttl(batchKey(prefix, 'q', 'job-100'))).toBeGreaterThan(24 * 3600 * 1000);
  });

  it('gives every later run of the job the same batch, whatever arrived since', async () => {
    await granted(await arrive('200'));
    await arrive('201');
    const batch = await absorb('200');
    await arrive('202'); // after the absorb: stays in line for the next turn

    expect(await absorb('200')).toEqual(batch);
    expect(await redis.zrange(keys().line, '0', '-1')).toEqual([expect.stringMatching(/:202$/)]);
  });

  it("records a batch of one too, so that a re-run after the hand-off does not take the next turn's messages", async () => {
    await granted(await arrive('300'));
    expect(await absorb('300')).toEqual([]);
    await arrive('301');
    expect(await absorb('300')).toEqual([]);
    expect(await redis.zcard(keys().line)).toBe(1);
  });

  it('stops at a place whose message is not stored yet, so that nothing behind it is answered first', async () => {
    await granted(await arrive('400'));
    await arrive('401');
    await claim('402'); // its add still on its way (or about to fail: the webhook would answer 503)
    await arrive('403');

    expect(refsOf(await absorb('400'))).toEqual(['401']);
    expect((await redis.zrange(keys().line, '0', '-1')).map((m) => m.split(':')[1])).toEqual(['402', '403']);
  });

  it("stops at the first message the caller does not take (another responder's)", async () => {
    await granted(await arrive('500'));
    await arrive('501', 'hi');
    await arrive('502', '/order 5521');
    await arrive('503', 'thanks');

    expect(refsOf(await absorb('500', (data) => !data.text.startsWith('/')))).toEqual(['501']);
    expect(await redis.zcard(keys().line)).toBe(2);
  });

  it(`answers at most ${MAX_BATCH} messages in one turn`, async () => {
    await granted(await arrive('1000'));
    for (let n = 1; n <= MAX_BATCH + 5; n++) await arrive(String(1000 + n));

    const batch = await absorb('1000');

    expect(batch).toHaveLength(MAX_BATCH - 1);
    expect(refsOf(batch)).toEqual(Array.from({ length: MAX_BATCH - 1 }, (_, i) => String(1001 + i)));
    expect(await redis.zcard(keys().line)).toBe(6);
  });

  it('takes nothing and records nothing for a job that does not hold the turn', async () => {
    await granted(await arrive('600'));
    await arrive('601');
    await arrive('602');
    expect(await absorb('601')).toEqual([]);
    expect(await redis.exists(batchKey(prefix, 'q', 'job-601'))).toBe(0);
    expect(await redis.zcard(keys().line)).toBe(2);
  });

  it("ends an absorbed message's job at once, holding nothing, even when it was parked or runs again by hand", async () => {
    await granted(await arrive('700'));
    const waiting = await arrive('701');
    await absorb('700');

    expect(await turns.enter(waiting, undefined, conversation, '701')).toEqual({ kind: 'absorbed', into: '700' });
    expect(await redis.hget(keys().turn, 'owner')).toBe('job-700');
    // A replay of it (a "retry" in the dashboard) is answered by nobody a second time.
    expect(await turns.enter(waiting, undefined, conversation, '701')).toEqual({ kind: 'absorbed', into: '700' });
    expect(await redis.zcard(keys().line)).toBe(0);
  });

  it("ends an absorbed message's job even while a redelivery of it holds a place in line, and the turn ended", async () => {
    const first = await arrive('750');
    await granted(first);
    const waiting = await arrive('751');
    await absorb('750');
    await turns.release(conversation, 'job-750');
    // CometChat redelivers 751: its place is claimed before its add turns out a duplicate (and is taken back).
    await claim('751');

    expect(await turns.enter(waiting, undefined, conversation, '751')).toEqual({ kind: 'absorbed', into: '750' });
    expect(await redis.hget(keys().turn, 'owner')).toBeNull();
  });

  it('leaves nothing behind of an absorbed job that was parking itself when its message was taken', async () => {
    await granted(await arrive('900'));
    const parking = await arrive('901');
    await absorb('900');
    // Its run found the turn held and parked itself; it marks itself parked only once delayed: after the absorb.
    const { turn } = keys();
    await commands.markParked(keys(), 'job-901', '0003901:901', '901');
    expect(await redis.hget(turn, 'p:0003901:901')).toBe('job-901');

    expect(await turns.enter(parking, undefined, conversation, '901')).toEqual({ kind: 'absorbed', into: '900' });
    expect(Object.keys(await redis.hgetall(turn)).sort()).toEqual(['m', 'n', 'owner', 'since']);
  });

  it('hands the turn to a message that arrived after the absorb once the turn ends: never stranded', async () => {
    await granted(await arrive('800'));
    await arrive('801');
    await absorb('800');
    const late = await arrive('802');

    await turns.release(conversation, 'job-800');

    expect((await turns.enter(late, undefined, conversation, '802')).kind).toBe('turn');
    expect(await redis.hget(keys().turn, 'owner')).toBe('job-802');
  });

  it('absorbs a message with a non-numeric id and ends its job the same way', async () => {
    await granted(await arrive('msg-a'));
    const next = await arrive('msg-b');
    expect(refsOf(await absorb('msg-a'))).toEqual(['msg-b']);
    expect(await turns.enter(next, undefined, conversation, 'msg-b')).toEqual({ kind: 'absorbed', into: 'msg-a' });
    expect(Object.keys(await redis.hgetall(keys().turn)).sort()).toEqual(['m', 'n', 'owner', 'since']);
  });
});
