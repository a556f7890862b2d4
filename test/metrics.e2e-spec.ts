import { METRICS, metricName } from '../src/metrics/metric-definitions';
import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { PrivateRedis } from './support/private-redis';
import { Scrape } from './support/prometheus-text';
import { basicAuth, BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const name = (key: keyof typeof METRICS) => metricName(METRICS[key]);
const WEBHOOK = name('webhookRequests');
const WEBHOOK_SECONDS = name('webhookDuration');
const JOBS = name('jobs');
const QUEUE_JOBS = name('queueJobs');
const OLDEST = name('queueOldestWaitingAge');
const STATS_UP = name('queueStatsUp');
const TURN = name('turnDuration');
const REPLY_LATENCY = name('replyLatency');
const COMETCHAT = name('cometchatRequests');
const PAUSE = name('rateLimitPause');
/** The label every per-message and per-send series carries: the one bot these apps serve. */
const BOT = { bot: BOT_UID };

/** A text message from a sender of its own: its own conversation, so no test waits for another's turn. */
const message = (sender: string) => {
  const callback = fixture('user-text');
  callback.data.sender = sender;
  return callback;
};

/** GET /metrics: the real app, a real Redis, a fake CometChat; what moves as callbacks go through. */
describe('GET /metrics', () => {
  let cometchat: FakeCometChat;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    app = await TestApp.start('metrics', { COMETCHAT_API_URL: cometchat.url, RETRY_BACKOFF_MS: '100', REPLIES_CONCURRENCY: '1' });
  });
  afterAll(async () => {
    await app.close();
    await cometchat.stop();
  });

  const scrape = async (on: TestApp = app) => {
    const res = await on.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return new Scrape(res.body);
  };
  const callsFor = (messageId: string) => cometchat.calls.filter((c) => c.body?.muid?.startsWith(`reply-${messageId}-`));
  const replyState = async (messageId: string) => (await app.queue('replies').getJob(`reply-${messageId}-0`))?.getState();

  it('answers in the Prometheus text format: every metric of the table and Node process metrics, all under cometchat_bot_', async () => {
    const res = await app.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const metrics = new Scrape(res.body);
    for (const definition of Object.values(METRICS)) expect(metrics.declared).toContain(metricName(definition));
    expect(metrics.declared).toEqual(
      expect.arrayContaining(['cometchat_bot_process_cpu_user_seconds_total', 'cometchat_bot_nodejs_eventloop_lag_seconds']),
    );
    expect(metrics.declared.filter((declared) => !declared.startsWith('cometchat_bot_'))).toEqual([]);
    expect(metrics.value(STATS_UP, { queue: 'events' })).toBe(1);
    expect(metrics.value(STATS_UP, { queue: 'replies' })).toBe(1);
    // Counters that rates are taken of exist from zero.
    expect(metrics.value(JOBS, { ...BOT, queue: 'replies', outcome: 'failed' })).toBe(0);
    expect(metrics.value(COMETCHAT, { ...BOT, class: '429' })).toBe(0);
  });

  it('counts webhook answers, job outcomes, CometChat answers and latencies as replies meet a 429, a 500 then 200, and a 404', async () => {
    const before = await scrape();
    const moved = (after: Scrape, metric: string, labels: Record<string, string> = {}) => after.count(metric, labels) - before.count(metric, labels);

    // A 429: sending pauses for Retry-After; meanwhile the reply waits, and the scrape shows both.
    const limited = message('metrics-limited');
    cometchat.answerNext({ status: 429, headers: { 'retry-after': '2' } });
    expect((await app.post(limited)).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the 429', () => callsFor(limited.data.id).length === 1);
    const paused = await waitFor('the pause and the waiting reply in a scrape', async () => {
      const metrics = await scrape();
      return metrics.count(PAUSE, { queue: 'replies' }) > 0 && metrics.count(QUEUE_JOBS, { queue: 'replies', state: 'waiting' }) === 1 && metrics;
    });
    expect(paused.value(PAUSE, { queue: 'replies' })).toBeLessThanOrEqual(2);
    expect(paused.value(OLDEST, { queue: 'replies' })).toBeGreaterThan(0);
    await waitFor('the reply once the pause is over', async () => (await replyState(limited.data.id)) === 'completed', { timeoutMs: 10_000 });

    // A 500 then 200: one retried run, then completed.
    const flaky = message('metrics-flaky');
    cometchat.answerNext({ status: 500 });
    await app.post(flaky);
    await waitFor('the retried reply', async () => (await replyState(flaky.data.id)) === 'completed');

    // A 404: failed for good at once.
    const refused = message('metrics-refused');
    cometchat.answerNext({ status: 404 });
    await app.post(refused);
    await waitFor('the refused reply', async () => (await replyState(refused.data.id)) === 'failed');

    // A redelivery (a dedupe hit), the bot's own message, wrong credentials, bad JSON.
    expect((await app.post(limited)).json()).toMatchObject({ status: 'duplicate' });
    expect((await app.post(fixture('bot-own-message'))).json()).toMatchObject({ status: 'ignored' });
    expect((await app.post(message('metrics-intruder'), { authorization: basicAuth('cometchat', 'wrong') })).statusCode).toBe(401);
    expect((await app.post(null, { raw: '{"trigger":' })).statusCode).toBe(400);

    const after = await waitFor('every job counted', async () => {
      const metrics = await scrape();
      const done =
        moved(metrics, JOBS, { ...BOT, queue: 'events', outcome: 'completed' }) === 3 &&
        moved(metrics, JOBS, { ...BOT, queue: 'replies', outcome: 'completed' }) === 2 &&
        moved(metrics, JOBS, { ...BOT, queue: 'replies', outcome: 'failed' }) === 1;
      return done && metrics;
    });

    expect({
      accepted: moved(after, WEBHOOK, { ...BOT, status: '200', outcome: 'accepted' }),
      duplicate: moved(after, WEBHOOK, { ...BOT, status: '200', outcome: 'duplicate' }),
      ignored: moved(after, WEBHOOK, { ...BOT, status: '200', outcome: 'ignored' }),
      unauthorised: moved(after, WEBHOOK, { ...BOT, status: '401', outcome: 'refused' }),
      malformed: moved(after, WEBHOOK, { ...BOT, status: '400', outcome: 'refused' }),
    }).toEqual({ accepted: 3, duplicate: 1, ignored: 1, unauthorised: 1, malformed: 1 });
    expect(moved(after, `${WEBHOOK_SECONDS}_count`, { ...BOT, outcome: 'accepted' })).toBe(3);
    expect(moved(after, `${WEBHOOK_SECONDS}_count`, { ...BOT, outcome: 'refused' })).toBe(2);
    expect(moved(after, `${WEBHOOK_SECONDS}_sum`, { ...BOT, outcome: 'accepted' })).toBeGreaterThan(0);

    // The 429 is neither a retry nor a failure: the reply went back to waiting with its attempts.
    expect({
      eventsRetried: moved(after, JOBS, { ...BOT, queue: 'events', outcome: 'retried' }),
      eventsFailed: moved(after, JOBS, { ...BOT, queue: 'events', outcome: 'failed' }),
      repliesRetried: moved(after, JOBS, { ...BOT, queue: 'replies', outcome: 'retried' }),
    }).toEqual({ eventsRetried: 0, eventsFailed: 0, repliesRetried: 1 });

    expect(Object.fromEntries(['2xx', '3xx', '4xx', '429', '5xx', 'network'].map((c) => [c, moved(after, COMETCHAT, { ...BOT, class: c })]))).toEqual(
      {
        '2xx': 2,
        '3xx': 0,
        '4xx': 1,
        '429': 1,
        '5xx': 1,
        network: 0,
      },
    );

    expect(moved(after, `${TURN}_count`, { ...BOT, responder: 'echo' })).toBe(3);
    expect(moved(after, `${TURN}_sum`, { ...BOT, responder: 'echo' })).toBeGreaterThan(0);

    // Two replies confirmed; the one that met the 429 waited out its 2 s pause.
    expect(moved(after, `${REPLY_LATENCY}_count`, BOT)).toBe(2);
    expect(moved(after, `${REPLY_LATENCY}_sum`, BOT)).toBeGreaterThanOrEqual(1.9);
    expect(moved(after, `${REPLY_LATENCY}_bucket`, { ...BOT, le: '1' })).toBeLessThanOrEqual(1);
    expect(moved(after, `${REPLY_LATENCY}_bucket`, { ...BOT, le: '+Inf' })).toBe(2);

    // The queues at rest: the refused reply kept in the failed set, nothing waiting, sending not paused.
    expect(
      Object.fromEntries(['waiting', 'active', 'delayed', 'failed'].map((state) => [state, after.value(QUEUE_JOBS, { queue: 'replies', state })])),
    ).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
    expect(after.value(QUEUE_JOBS, { queue: 'events', state: 'failed' })).toBe(0);
    expect(after.value(OLDEST, { queue: 'replies' })).toBe(0);
    expect(after.value(PAUSE, { queue: 'replies' })).toBe(0);
  });

  it('is served by APP_ROLE=worker too, with the jobs it ran, while the api process counts the webhook', async () => {
    const api = await TestApp.start('metrics-api', { APP_ROLE: 'api' });
    const worker = await TestApp.start('metrics-worker', { APP_ROLE: 'worker', QUEUE_PREFIX: api.prefix, COMETCHAT_API_URL: cometchat.url });
    try {
      const callback = message('metrics-roles');
      expect((await api.post(callback)).json()).toMatchObject({ status: 'accepted' });
      const ran = await waitFor('the worker to count the sent reply', async () => {
        const metrics = await scrape(worker);
        return metrics.count(JOBS, { ...BOT, queue: 'replies', outcome: 'completed' }) === 1 && metrics;
      });
      expect(ran.value(JOBS, { ...BOT, queue: 'events', outcome: 'completed' })).toBe(1);
      expect(ran.value(COMETCHAT, { ...BOT, class: '2xx' })).toBe(1);
      expect(ran.value(`${REPLY_LATENCY}_count`, BOT)).toBe(1);
      expect(ran.value(STATS_UP, { queue: 'replies' })).toBe(1);
      expect(ran.samples.filter((s) => s.name === WEBHOOK)).toEqual([]);

      const took = await scrape(api);
      expect(took.value(WEBHOOK, { ...BOT, status: '200', outcome: 'accepted' })).toBe(1);
      expect(took.samples.filter((s) => s.name === JOBS)).toEqual([]);
      expect(took.value(QUEUE_JOBS, { queue: 'events', state: 'waiting' })).toBe(0);
    } finally {
      await worker.close({ keepKeys: true });
      await api.close();
    }
  });

  it('reads the queues in a fixed number of Redis commands per scrape, whatever the backlog', async () => {
    // A Redis of its own and an api process (no workers), so every command it sees during a scrape is the scrape's.
    const redis = await PrivateRedis.start();
    const watcher = redis.client();
    const marker = redis.client();
    // MONITOR (on a connection of its own) starts while the Redis is idle: ioredis misreads monitor output that
    // arrives together with MONITOR's own OK.
    const monitor = await watcher.monitor();
    const seen: Array<{ args: string[]; source: string }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
    const api = await TestApp.start('metrics-cost', { REDIS_URL: redis.url, APP_ROLE: 'api' });
    try {
      let round = 0;
      /** The commands one scrape sent (those its Lua scripts ran inside Redis apart), between two markers. */
      const commandsOfOneScrape = async () => {
        await scrape(api); // the first run of a script loads it: not the steady cost
        const [start, end] = [`scrape-start-${++round}`, `scrape-end-${round}`];
        await marker.echo(start);
        await scrape(api);
        await marker.echo(end);
        const at = (label: string) => seen.findIndex((entry) => entry.args[0].toLowerCase() === 'echo' && entry.args[1] === label);
        await waitFor('the monitor to see the scrape end', () => at(end) >= 0);
        return seen
          .slice(at(start) + 1, at(end))
          .filter((entry) => entry.source !== 'lua')
          .map((entry) => entry.args[0].toLowerCase())
          .sort();
      };

      const idle = await commandsOfOneScrape();
      const backlog = async (count: number) => {
        await api.queue('events').addBulk(Array.from({ length: count }, (_, n) => ({ name: 'bot-event', data: { n } })));
        await api.queue('replies').addBulk(Array.from({ length: count }, (_, n) => ({ name: 'bot-reply', data: { n } })));
        await api.queue('events').add('bot-event', {}, { delay: 60_000 });
        await api.queue('replies').add('bot-reply', {}, { delay: 60_000 });
      };
      await backlog(20);
      const loaded = await commandsOfOneScrape();
      await backlog(300);
      const larger = await commandsOfOneScrape();

      // Per queue: one script counts every state, one fetches the next waiting job, then its hash; the replies
      // queue adds one for its pause. Both queues' calls run at once. Besides, one read of the feedback tally.
      expect(loaded).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha', 'evalsha', 'hgetall', 'hgetall', 'hgetall']);
      expect(larger).toEqual(loaded);
      expect(idle).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha', 'evalsha', 'hgetall']);
      const metrics = await scrape(api);
      expect(metrics.value(QUEUE_JOBS, { queue: 'events', state: 'waiting' })).toBe(320);
      expect(metrics.value(QUEUE_JOBS, { queue: 'replies', state: 'delayed' })).toBe(2);
    } finally {
      for (const client of [monitor, watcher, marker]) client.disconnect();
      await api.close({ keepKeys: true });
      await redis.stop();
    }
  });
});
