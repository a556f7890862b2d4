import { ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { PrivateRedis, replicaLinked, replicasOnline } from './private-redis';
import { freePort } from './service-process';
import { waitFor } from './wait-for';

const run = promisify(execFile);

const withClient = async <T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> => {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
};

/** How late the sentinel's timer may be before it enters TILT (Redis's default: 2 s). */
const TILT_TRIGGER_MS = 60_000;

/** A master, its replica and one sentinel watching them: private processes on free ports, each in its own --dir. */
export class PrivateSentinel {
  static readonly MASTER_NAME = 'e2e-master';

  private constructor(
    readonly master: PrivateRedis,
    readonly replica: PrivateRedis,
    readonly port: number,
    private readonly process: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateSentinel> {
    const master = await PrivateRedis.start();
    const replica = await PrivateRedis.start(['--replicaof', '127.0.0.1', String(master.port)]);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'private-sentinel-'));
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `logfile ${join(dir, 'sentinel.log')}`,
        `sentinel monitor ${PrivateSentinel.MASTER_NAME} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${PrivateSentinel.MASTER_NAME} 1000`,
        `sentinel failover-timeout ${PrivateSentinel.MASTER_NAME} 3000`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
    const sentinel = new PrivateSentinel(master, replica, port, child, dir);
    await waitFor(
      'the sentinel to see the master and its replica',
      async () => {
        const replicas = await withClient(port, (c) => c.call('SENTINEL', 'REPLICAS', PrivateSentinel.MASTER_NAME)).catch(() => []);
        const [fromMaster, fromReplica] = await Promise.all(
          [master.port, replica.port].map((nodePort) => withClient(nodePort, (c) => c.info('replication')).catch(() => '')),
        );
        return (replicas as unknown[]).length === 1 && replicaLinked(fromMaster, fromReplica, replica.port);
      },
      { timeoutMs: 20_000 },
    );
    // A sentinel whose timer is late by 2 s (a busy shared test machine stalling it) enters TILT and promotes nobody
    // for 30 s: a stall of the test machine, not a fault under test. Redis 7's SENTINEL DEBUG moves that threshold.
    await withClient(port, (c) => c.call('SENTINEL', 'DEBUG', 'TILT-TRIGGER', String(TILT_TRIGGER_MS)));
    return sentinel;
  }

  /** The master's port as the sentinel names it now. */
  async masterPort(): Promise<number> {
    const [, port] = (await withClient(this.port, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', PrivateSentinel.MASTER_NAME))) as string[];
    return Number(port);
  }

  /** Kills the master outright; resolves once the sentinel has promoted the replica. */
  async killMaster(): Promise<void> {
    await this.master.stop();
    try {
      await waitFor('the replica to be promoted', async () => (await this.masterPort().catch(() => 0)) === this.replica.port, {
        timeoutMs: 20_000,
      });
    } catch (error) {
      // The sentinel's own account says why it did not promote (no good replica, an aborted election…).
      throw new Error(`${(error as Error).message}; the sentinel's log ends:\n${this.logTail()}`);
    }
  }

  private logTail(): string {
    const log = join(this.dir, 'sentinel.log');
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await once(this.process, 'exit');
    }
    rmSync(this.dir, { recursive: true, force: true });
    await Promise.all([this.master.stop(), this.replica.stop()]);
  }
}

/** A Redis Cluster of three masters with a replica each, made with `redis-cli --cluster create`. */
export class PrivateCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  static async start(): Promise<PrivateCluster> {
    const nodes = await Promise.all(
      Array.from({ length: 6 }, () =>
        PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000']),
      ),
    );
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    const cluster = new PrivateCluster(nodes);
    await cluster.waitUntilHealthy(nodes);
    return cluster;
  }

  /** `host:port,…` as REDIS_CLUSTER_NODES takes it. */
  get nodeList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** Kills the master serving `key`'s slot and waits until its replica serves the slot and the cluster is ok. */
  async killMasterOf(key: string): Promise<void> {
    const living = () => this.nodes.filter((n) => !this.killed.has(n));
    const masterPortOf = (port: number) =>
      withClient(port, async (c) => {
        const slot = (await c.call('CLUSTER', 'KEYSLOT', key)) as number;
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      });
    const before = await masterPortOf(living()[0].port);
    const master = this.nodes.find((n) => n.port === before)!;
    this.killed.add(master);
    await master.stop();
    await waitFor(
      'a replica to take over the slot',
      async () => {
        const survivors = living();
        const ports = await Promise.all(survivors.map((n) => masterPortOf(n.port).catch(() => undefined)));
        const ok = await Promise.all(
          survivors.map((n) =>
            withClient(n.port, async (c) => ((await c.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok')).catch(() => false),
          ),
        );
        return ports.every((p) => p !== undefined && p !== before) && ok.every(Boolean);
      },
      { timeoutMs: 30_000 },
    );
  }

  private readonly killed = new Set<PrivateRedis>();

  private async waitUntilHealthy(nodes: PrivateRedis[]) {
    await waitFor(
      'the cluster to be ok on every node',
      async () => {
        const states = await Promise.all(
          nodes.map((n) =>
            withClient(n.port, async (c) => {
              const info = (await c.call('CLUSTER', 'INFO')) as string;
              // A replica that never synced is not elected when its master dies: wait for every link, as both ends see it.
              const replication = await c.info('replication');
              const linked = replication.includes('role:master') ? replicasOnline(replication) : replication.includes('master_link_status:up');
              return info.includes('cluster_state:ok') && linked;
            }).catch(() => false),
          ),
        );
        return states.every(Boolean);
      },
      { timeoutMs: 30_000 },
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
