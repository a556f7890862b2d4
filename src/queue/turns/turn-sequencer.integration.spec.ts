import { Job, Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Conversation } from '../../messages';
import { LineCommands, lineKeys, orderedMember } from './line-commands';
import { TurnSequencer } from './turn-sequencer';

/** Runs against the Redis at REDIS_URL with a real BullMQ queue and worker, as the service does. */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const conversation: Conversation = { type: 'group', id: 'ops-room' };

interface Run {
  ref: string;
  start: number;
  end: number;
}

describe('TurnSequencer', () => {
  let prefix: string;
  let redis: Redis;
  let queue: Queue<{ ref: string; ms: number; member?: string }>;
  let worker: Worker | undefined;
  let runs: Run[];
  let running: number;
  let maxRunning: number;
  let releases: Promise<void>[];

  beforeEach(async () => {
    prefix = `unit-seq-${randomBytes(4).toString('hex')}`;
    redis = new Redis(url, { maxRetriesPerRequest: null });
    queue = new Queue('q', { connection: { url }, prefix });
    runs = [];
    releases = [];
    running = 0;
    maxRunning = 0;
  });

  const commands = () => new LineCommands(redis, prefix, 'q');

  afterEach(async () => {
    await worker?.close(true);
    worker = undefined;
    await Promise.allSettled(releases); // hand-offs still on their way use the queue closed below
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  /** A worker whose jobs take turns: each holds its turn for `ms`, and hands it on once completed (unless its ref is in `lost`). */
  function startWorker(recoveryCheckMs = 30_000, concurrency = 8, lost = new Set<string>()): TurnSequencer {
    const turns = new TurnSequencer({ queue, commands: commands(), recoveryCheckMs, jobIdOf: async (ref) => `job-${ref}` });
    worker = new Worker(
      'q',
      async (job: Job, token?: string) => {
        await turns.enter(job, token, conversation, job.data.ref, job.data.member ?? '');
        running++;
        maxRunning = Math.max(maxRunning, running);
        const start = Date.now();
        await new Promise((resolve) => setTimeout(resolve, job.data.ms).unref());
        running--;
        runs.push({ ref: job.data.ref, start, end: Date.now() });
      },
      { connection: { url, maxRetriesPerRequest: null }, prefix, concurrency },
    );
    worker.on('completed', (job) => void (lost.has(job.data.ref) ? undefined : releases.push(turns.release(conversation, job.id!))));
    return turns;
  }

  const claim = (ref: string) => commands().claimMessages([{ conversation, messageId: ref, jobId: `job-${ref}` }]);

  /** As the webhook stores a message: its place in line, then its job. */
  async function arrive(ref: string, ms = 5) {
    await claim(ref);
    await queue.add('m', { ref, ms }, { jobId: `job-${ref}` });
  }

  const until = async (what: string, done: () => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('runs one turn at a time, in numeric id order at any length (not through Number)', async () => {
    // Equal as doubles, different as integers; and a 21-digit id after a 20-digit one.
    const ids = ['100000000000000000000', '9007199254740993', '99999999999999999999', '9007199254740992', '7'];
    for (const id of ids) await arrive(id);
    startWorker();
    await until('every turn', () => runs.length === ids.length);
    expect(runs.map((r) => r.ref)).toEqual(['7', '9007199254740992', '9007199254740993', '99999999999999999999', '100000000000000000000']);
    expect(maxRunning).toBe(1);
  });

  it('orders ids that are not numbers by the arrival Redis recorded, after the numeric ones', async () => {
    for (const id of ['zulu', 'alpha', 'mike', '42']) await arrive(id);
    startWorker();
    await until('every turn', () => runs.length === 4);
    expect(runs.map((r) => r.ref)).toEqual(['42', 'zulu', 'alpha', 'mike']);
  });

  it('never runs a lower id beside the turn that started before it arrived; it runs next', async () => {
    startWorker();
    await arrive('500', 400);
    await until('turn 500 to start', () => running === 1);
    await arrive('100');
    await arrive('600');
    await until('every turn', () => runs.length === 3);
    expect(runs.map((r) => r.ref)).toEqual(['500', '100', '600']);
    expect(maxRunning).toBe(1);
    const [first, second] = runs;
    expect(second.start).toBeGreaterThanOrEqual(first.end);
  });

  it('promotes a message stored parked at ingest when its turn comes, even one whose job is stored just after the hand-off', async () => {
    startWorker(30_000);
    const parkedClaim = (ref: string) => commands().claimMessages([{ conversation, messageId: ref, jobId: `job-${ref}`, parked: true }]);
    const began = Date.now();
    await arrive('1', 200);
    await until('turn 1 to start', () => running === 1);
    await parkedClaim('2');
    await queue.add('m', { ref: '2', ms: 5 }, { jobId: 'job-2', delay: 30_000 });
    await parkedClaim('3'); // its job is not stored yet when turn 2 hands on
    await until('turn 2 to end', () => runs.length === 2);
    await queue.add('m', { ref: '3', ms: 5 }, { jobId: 'job-3', delay: 30_000 });
    await until('turn 3', () => runs.length === 3);
    expect(runs.map((r) => r.ref)).toEqual(['1', '2', '3']);
    expect(Date.now() - began).toBeLessThan(5000); // handed on, not left to the 30 s recovery check
    expect(maxRunning).toBe(1);
  });

  it('hands the turn on without polling: a backlog drains with a 30 s recovery check, each job started at most twice', async () => {
    startWorker(30_000);
    await arrive('1', 200);
    for (let id = 2; id <= 40; id++) await arrive(String(id), 1);
    await until('the backlog', () => runs.length === 40);
    expect(runs.map((r) => r.ref)).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
    expect(maxRunning).toBe(1);
    const started = await Promise.all(runs.map(async ({ ref }) => (await queue.getJob(`job-${ref}`))!.attemptsStarted));
    expect(Math.max(...started)).toBeLessThanOrEqual(2);
  });

  it('drops a place whose message was never stored once it is stale, well before the recovery check', async () => {
    const keys = lineKeys(prefix, 'q', conversation);
    await claim('10'); // as if the process that claimed it died before its add
    startWorker(30_000);
    const began = Date.now();
    await arrive('11');
    await until('the next message', () => runs.length === 1, 8000);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(await redis.zcard(keys.line)).toBe(0);
  });

  it('takes the turn from a holder that finished without handing it on (its process died), after the recovery check', async () => {
    startWorker(500);
    await arrive('1');
    await until('turn 1', () => runs.length === 1);
    // As if the process died right after BullMQ completed the job: the turn was never released.
    const keys = lineKeys(prefix, 'q', conversation);
    await redis.hset(keys.turn, 'owner', 'job-1', 'n', '1', 'since', String(Date.now()));
    await arrive('2');
    await until('turn 2 after the recovery check', () => runs.length === 2, 5000);
  });

  it('drops a woken head whose job is over but never took the turn (writes lost in a failover), at the next recovery check', async () => {
    const keys = lineKeys(prefix, 'q', conversation);
    startWorker(500, 8, new Set(['2']));
    await arrive('1', 300);
    await until('turn 1', () => running === 1);
    await arrive('2', 5);
    await until('turn 2', () => runs.length === 2);
    // What a failover can leave: the hand-off that woke job 2 survived, its taking and ending the turn did not.
    const member = '00012:2'; // message 2's place (length, digits, ref)
    await redis.hdel(keys.turn, 'owner', 'n', 'since');
    await redis.zadd(keys.line, 0, member);
    await redis.hset(keys.turn, `p:${member}`, '~job-2');
    await arrive('3');
    await until('turn 3 after the recovery check', () => runs.length === 3, 5000);
    expect(runs.map((r) => r.ref)).toEqual(['1', '2', '3']);
  });

  it('puts a job that comes back (a replay) into its place in line instead of beside the running turn', async () => {
    startWorker();
    await arrive('1', 300);
    await until('turn 1', () => running === 1);
    // A job with no place in line, as a failed message retried by hand.
    await queue.add('m', { ref: '0', ms: 5 }, { jobId: 'job-0' });
    await arrive('2');
    await until('every turn', () => runs.length === 3);
    expect(runs.map((r) => r.ref)).toEqual(['1', '0', '2']);
    expect(maxRunning).toBe(1);
  });

  it('orders places the caller gives (replies: by turn, then index), the jobs parked until their turn', async () => {
    const turns = startWorker();
    const places = [
      { ref: 'r-b0', turn: 2, index: 0 },
      { ref: 'r-a1', turn: 1, index: 1 },
      { ref: 'r-a0', turn: 1, index: 0 },
    ].map((p) => ({ ...p, member: orderedMember(p.turn, p.index, `job-${p.ref}`), jobId: `job-${p.ref}` }));
    await turns.queueInTurn(conversation, places, async (runnableFirst) => {
      for (const [n, p] of places.entries()) {
        await queue.add('m', { ref: p.ref, ms: 5, member: p.member }, { jobId: p.jobId, ...(n === 0 && runnableFirst ? {} : { delay: 30_000 }) });
      }
    });
    await until('every reply', () => runs.length === 3, 5000);
    expect(runs.map((r) => r.ref)).toEqual(['r-a0', 'r-a1', 'r-b0']);
    const started = await Promise.all(places.map(async (p) => (await queue.getJob(p.jobId))!.attemptsStarted));
    expect(started).toEqual([1, 1, 1]); // never taken up before its turn
  });

  it('runs at once a re-queued job whose earlier run was granted the turn, then failed before adding it', async () => {
    const turns = startWorker();
    const place = { member: orderedMember(1, 0, 'job-r1'), jobId: 'job-r1' };
    // First run: granted the free line, then the add fails (Redis refused it, say).
    await expect(
      turns.queueInTurn(conversation, [place], async (runnableFirst) => {
        expect(runnableFirst).toBe(true);
        throw new Error('add refused');
      }),
    ).rejects.toThrow('add refused');
    // The re-run may not grant (the job could exist already), so it adds the job parked: it must not wait for the recovery check.
    await turns.queueInTurn(
      conversation,
      [place],
      async () => queue.add('m', { ref: 'r1', ms: 5, member: place.member }, { jobId: place.jobId, delay: 30_000 }),
      {
        mayGrant: false,
      },
    );
    await until('the reply', () => runs.length === 1, 5000);
  });

  it('parks a waiting job as a delayed job: it holds no worker slot', async () => {
    startWorker(30_000, 2);
    await arrive('1', 60_000); // holds its turn
    await arrive('2');
    await until('turn 1', () => running === 1);
    const parked = async () => (await queue.getJobState('job-2')) === 'delayed';
    for (let i = 0; i < 300 && !(await parked()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await queue.getJobState('job-2')).toBe('delayed');
    expect(await queue.getActiveCount()).toBe(1);
  });
});
