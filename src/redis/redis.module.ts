import { Global, Module } from '@nestjs/common';
import { RedisConnections } from './redis-connections.service';
import { ReplicaAck } from './replica-ack';

/** Every Redis connection of the app, through one factory (see connectRedis). */
@Global()
@Module({ providers: [RedisConnections, ReplicaAck], exports: [RedisConnections, ReplicaAck] })
export class RedisModule {}
