import { Cluster, Redis, RedisOptions } from 'ioredis';
import type { RedisTopology } from '../config/app.config';

/** A connection to the service's Redis, whatever its topology: ioredis's Cluster speaks the same commands. */
export type RedisClient = Redis | Cluster;

/** What a connection is for decides how it behaves while Redis is away. */
export type ConnectionProfile =
  /** Waits for Redis to come back; BullMQ's workers require it (maxRetriesPerRequest: null). */
  | { role: 'worker' }
  /** Fails at once while Redis is away, and after `commandTimeoutMs`, so the webhook answers 503 rather than hang. */
  | { role: 'producer'; commandTimeoutMs: number }
  /** Plain commands that may fail (the job running them is retried): one try across a reconnect. */
  | { role: 'commands' }
  /** A command-line check: connects when asked, never retries. */
  | { role: 'probe'; timeoutMs: number };

/** Reconnect quickly and keep trying every 2 s at most, so the service is back within seconds of Redis. */
export const reconnectDelay = (attempt: number) => Math.min(attempt * 200, 2000);

/** A master demoted to replica answers READONLY: reconnect (Sentinel then finds the new master) and resend. */
const reconnectOnReadOnly = (error: Error) => (error.message.startsWith('READONLY') ? 2 : false);

function profileOptions(profile: ConnectionProfile): RedisOptions {
  switch (profile.role) {
    case 'worker':
      return { maxRetriesPerRequest: null, retryStrategy: reconnectDelay };
    case 'producer':
      return { enableOfflineQueue: false, commandTimeout: profile.commandTimeoutMs, maxRetriesPerRequest: 1, retryStrategy: reconnectDelay };
    case 'commands':
      return { maxRetriesPerRequest: 1, retryStrategy: reconnectDelay };
    case 'probe':
      return { lazyConnect: true, connectTimeout: profile.timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null };
  }
}

/** The one place a Redis connection is made, for the producer, workers, state, sandbox outbox, health and CLI. */
export function connectRedis(topology: RedisTopology, profile: ConnectionProfile): RedisClient {
  const options = profileOptions(profile);
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        // Only here is another node behind the same address list; on one node READONLY is an answer to report.
        reconnectOnError: reconnectOnReadOnly,
        sentinels: topology.sentinels,
        name: topology.name,
        username: topology.username,
        password: topology.password,
        // Told of a promotion by the sentinels themselves, rather than on the next failed command.
        failoverDetector: true,
        sentinelRetryStrategy: profile.role === 'probe' ? () => null : reconnectDelay,
      });
    case 'cluster': {
      const { retryStrategy, enableOfflineQueue, lazyConnect, ...nodeOptions } = options;
      return new Cluster(topology.nodes, {
        redisOptions: { ...nodeOptions, username: topology.username, password: topology.password },
        clusterRetryStrategy: retryStrategy,
        enableOfflineQueue,
        lazyConnect,
        // A failover in progress (CLUSTERDOWN, TRYAGAIN, a slot moving) is waited out briefly, then retried.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
      });
    }
  }
}
