import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/app.config';
import { ConnectionProfile, connectRedis, RedisClient } from './redis-connection.factory';

/**
 * Opens the app's Redis connections on its configured topology and closes them last, after the queues and
 * workers that use them (BullMQ leaves a connection it was given to its owner).
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly open = new Set<RedisClient>();

  constructor(@Inject(redisConfig.KEY) private readonly config: RedisConfig) {}

  get prefix(): string {
    return this.config.prefix;
  }

  connect(profile: ConnectionProfile): RedisClient {
    const client = connectRedis(this.config.topology, profile);
    this.open.add(client);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.open].map((client) => client.quit().catch(() => client.disconnect())));
    this.open.clear();
  }
}
