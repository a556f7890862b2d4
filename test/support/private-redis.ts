import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './service-process';
import { waitFor } from './wait-for';

/** A redis-server of the test's own, on a free port with its own --dir; never the shared one. */
export class PrivateRedis {
  private constructor(
    readonly port: number,
    private process: ChildProcess,
    private readonly dir: string,
    /** Its command line, for restart(). */
    private readonly args: string[],
    private readonly password?: string,
  ) {}

  /**
   * `port`: one of the test's choosing, e.g. to bring a stopped Redis back where its clients look for it.
   * `password`: Redis requires it (requirepass); `url` and `client()` carry it.
   */
  static async start(args: string[] = [], { port, password }: { port?: number; password?: string } = {}): Promise<PrivateRedis> {
    port ??= await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'private-redis-'));
    const auth = password === undefined ? [] : ['--requirepass', password];
    // Later options win: `args` may turn persistence on (e.g. ['--appendonly', 'yes']).
    const command = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...auth, ...args];
    const redis = new PrivateRedis(port, PrivateRedis.spawnServer(command), dir, command, password);
    await redis.answering();
    return redis;
  }

  private static spawnServer(command: string[]): ChildProcess {
    return spawn('redis-server', command, { stdio: 'ignore' });
  }

  private async answering(): Promise<void> {
    await waitFor(
      'the private redis-server',
      async () => {
        const client = this.client();
        try {
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      },
      { timeoutMs: 10_000 },
    );
  }

  /** Kills the process outright (SIGKILL), keeping its --dir, so restart() finds what it persisted. */
  async kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGCONT'); // a frozen process takes no SIGKILL until it runs again
    this.process.kill('SIGKILL');
    await once(this.process, 'exit');
  }

  /** Starts it again after kill(): the same port, --dir and options, so it loads what it persisted (with AOF on). */
  async restart(): Promise<void> {
    await this.kill();
    this.process = PrivateRedis.spawnServer(this.args);
    await this.answering();
  }

  get url(): string {
    return `redis://${this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }

  /** A client of the test's; disconnect it when done. */
  client(): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    return client;
  }

  /**
   * Redis out of memory: maxmemory below what it holds, under noeviction, so it refuses every write that could add
   * memory (as a full Redis does) while still answering reads and PING. `outOfMemory(false)` lifts the limit.
   */
  async outOfMemory(on = true): Promise<void> {
    await this.use(async (client) => {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      await client.config('SET', 'maxmemory', on ? '1' : '0');
    });
  }

  /** Runs `use` with a client of the test's, disconnected after. */
  async use<T>(use: (client: Redis) => Promise<T>): Promise<T> {
    const client = this.client();
    try {
      return await use(client);
    } finally {
      client.disconnect();
    }
  }

  /**
   * Runs `work` with the process frozen for its first `ms` (a replica that stops acknowledging, say); whether it
   * was thawed before `work` ended, i.e. `work` waited for it.
   */
  async frozenFor<T>(ms: number, work: () => Promise<T>): Promise<{ value: T; waited: boolean }> {
    this.freeze();
    let thawed = false;
    const thaw = setTimeout(() => {
      thawed = true;
      this.thaw();
    }, ms);
    try {
      const value = await work();
      return { value, waited: thawed };
    } finally {
      clearTimeout(thaw);
      this.thaw();
    }
  }

  /** Freezes the process (SIGSTOP): a replica that stops acknowledging, its connections left open. */
  freeze(): void {
    this.process.kill('SIGSTOP');
  }

  thaw(): void {
    this.process.kill('SIGCONT');
  }

  /** A replica of `master`, linked as both see it (replicaLinked). */
  static async replicaOf(master: PrivateRedis): Promise<PrivateRedis> {
    const replica = await PrivateRedis.start(['--replicaof', '127.0.0.1', String(master.port)]);
    await waitFor('the replica to be linked', async () =>
      replicaLinked(await master.use((c) => c.info('replication')), await replica.use((c) => c.info('replication')), replica.port),
    );
    return replica;
  }

  async stop(): Promise<void> {
    // A frozen process takes no SIGKILL until it runs again.
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGCONT');
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await once(this.process, 'exit');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Whether a replica is linked as both its master and it see it, from their INFO replication: its first sync loaded
 * (`master_link_status:up`), and the master streaming to it (`state=online`). The replica reports its link up once it
 * has loaded the sync, but the master marks it online only at its next check (up to its `hz` later, longer on a busy
 * machine); until then the master neither sends it writes nor counts its acknowledgements, so a WAIT runs out.
 */
export function replicaLinked(masterReplication: string, replicaReplication: string, replicaPort: number): boolean {
  const online = new RegExp(`^slave\\d+:ip=[^,]+,port=${replicaPort},state=online,`, 'm');
  return replicaReplication.includes('master_link_status:up') && online.test(masterReplication);
}

/** Whether a master streams to every replica its INFO replication lists (each `state=online`; see replicaLinked). */
export const replicasOnline = (masterReplication: string): boolean => !/^slave\d+:[^\r\n]*state=(?!online)/m.test(masterReplication);
