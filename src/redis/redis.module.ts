import { Global, Module } from '@nestjs/common';
import { RedisConnections } from './redis-connections.service';

/** Every Redis connection of the app, through one factory (see connectRedis). */
@Global()
@Module({ providers: [RedisConnections], exports: [RedisConnections] })
export class RedisModule {}
