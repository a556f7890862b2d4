import { FakeCometChat } from './support/fake-cometchat';
import { fixture } from './support/fixtures';
import { PrivateCluster, PrivateSentinel } from './support/redis-topologies';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Sentinel and Cluster, each on private redis-server processes, and the master killed in the middle of a load:
 * every accepted message is to be answered, none posted twice, ready again by itself.
 */
jest.setTimeout(120_000);

describe('Redis topologies', () => {
  let cometchat: FakeCometChat;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
  });
  afterAll(async () => {
    await cometchat.stop();
  });

  const sent = (messageId: string) => cometchat.delivered.filter((c) => c.body.muid === `reply-${messageId}-0`);
  const ready = async (app: TestApp) => (await app.app.inject({ method: 'GET', url: '/health/ready' })).statusCode;

  /**
   * Posts `count` callbacks as CometChat would: one after another, a 503 sent again until accepted (CometChat
   * redelivers). Halfway through, `fault` runs while the posting goes on.
   */
  async function loadThrough(app: TestApp, tag: string, count: number, fault: () => Promise<void>): Promise<string[]> {
    const ids: string[] = [];
    let faulted: Promise<void> | undefined;
    let faultError: Error | undefined;
    for (let n = 0; n < count; n++) {
      const callback = fixture('user-text');
      callback.data.sender = `${tag}-user-${n % 7}`;
      ids.push(callback.data.id);
      if (n === Math.floor(count / 2)) {
        faulted = fault();
        faulted.catch((error: Error) => (faultError = error));
      }
      await waitFor(
        `message ${n} accepted`,
        async () => {
          const answer = await app.post(callback);
          // Thrown, not returned: a timeout then says what the service last answered.
          if (answer.statusCode !== 200) throw new Error(`${answer.statusCode} ${answer.body}`);
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      ).catch((error: Error) => {
        // A fault that failed (a promotion that never came) is the cause to report with the posts it held up.
        throw faultError ? new Error(`${error.message}; meanwhile ${faultError.message}`) : error;
      });
    }
    await faulted;
    return ids;
  }

  async function expectEachAnsweredOnce(ids: string[]): Promise<void> {
    // A command lost in the failover (its answer, not its effect) leaves at most a job to its recovery check.
    await waitFor('a reply to every accepted message', () => ids.every((id) => sent(id).length > 0), { timeoutMs: 60_000 });
    expect(ids.filter((id) => sent(id).length !== 1)).toEqual([]);
  }

  describe('Sentinel', () => {
    let sentinel: PrivateSentinel;
    let app: TestApp;

    beforeAll(async () => {
      sentinel = await PrivateSentinel.start();
      app = await TestApp.start('sentinel', {
        COMETCHAT_API_URL: cometchat.url,
        REDIS_URL: '',
        REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
        REDIS_SENTINEL_NAME: PrivateSentinel.MASTER_NAME,
        RETRY_BACKOFF_MS: '200',
        JOB_LOCK_MS: '5000',
      });
    }, 60_000);
    afterAll(async () => {
      await app?.close({ keepKeys: true });
      await sentinel?.stop();
    });

    it('stores and answers through the master the sentinel names', async () => {
      expect(await ready(app)).toBe(200);
      const callback = fixture('user-text');
      expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
      await expectEachAnsweredOnce([callback.data.id]);
    });

    it('follows a promotion by itself during a load: none lost, none posted twice, ready again', async () => {
      const ids = await loadThrough(app, 'sentinel', 40, () => sentinel.killMaster());
      await expectEachAnsweredOnce(ids);
      await waitFor('ready again', async () => (await ready(app)) === 200, { timeoutMs: 30_000 });
    });
  });

  describe('Cluster', () => {
    let cluster: PrivateCluster;
    let app: TestApp;
    const prefix = `{e2e-cluster-${Date.now()}}`;

    beforeAll(async () => {
      cluster = await PrivateCluster.start();
      app = await TestApp.start('cluster', {
        COMETCHAT_API_URL: cometchat.url,
        REDIS_URL: '',
        REDIS_CLUSTER_NODES: cluster.nodeList,
        QUEUE_PREFIX: prefix,
        RETRY_BACKOFF_MS: '200',
        JOB_LOCK_MS: '5000',
      });
    }, 90_000);
    afterAll(async () => {
      await app?.close({ keepKeys: true });
      await cluster?.stop();
    });

    it('stores and answers on a cluster, every key of the queues in the prefix hash tag slot', async () => {
      expect(await ready(app)).toBe(200);
      const callback = fixture('user-text');
      expect((await app.post(callback)).json()).toMatchObject({ status: 'accepted' });
      await expectEachAnsweredOnce([callback.data.id]);
    });

    it('follows a failover of the master holding the queues by itself during a load: none lost, none posted twice', async () => {
      const ids = await loadThrough(app, 'cluster', 40, () => cluster.killMasterOf(prefix));
      await expectEachAnsweredOnce(ids);
      await waitFor('ready again', async () => (await ready(app)) === 200, { timeoutMs: 30_000 });
    });
  });
});
