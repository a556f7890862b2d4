import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/app.config';
import { RedisAvailability } from './redis-availability';
import { ConnectionProfile, connectRedis, RedisClient } from './redis-connection.factory';

const QUIT_TIMEOUT_MS = 1000;

/**
 * Opens the app's Redis connections on its configured topology and closes them last, after the queues and
 * workers that use them (BullMQ leaves a connection it was given to its owner).
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly open = new Set<RedisClient>();
  /** Redis lost and restored, logged once each for all of these connections. */
  readonly availability = new RedisAvailability();

  constructor(@Inject(redisConfig.KEY) private readonly config: Pick<RedisConfig, 'topology' | 'prefix'>) {}

  get prefix(): string {
    return this.config.prefix;
  }

  connect(profile: ConnectionProfile): RedisClient {
    const client = connectRedis(this.config.topology, profile);
    this.availability.watch(client, profile.role);
    this.open.add(client);
    return client;
  }

  /** QUIT where Redis answers; a connection still reconnecting (Redis gone) would wait forever, so it is dropped. */
  async onApplicationShutdown(): Promise<void> {
    this.availability.close();
    await Promise.all(
      [...this.open].map(async (client) => {
        let timer: NodeJS.Timeout | undefined;
        const gone = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS)));
        await Promise.race([client.quit().catch(() => undefined), gone]);
        clearTimeout(timer);
        client.disconnect();
      }),
    );
    this.open.clear();
  }
}
