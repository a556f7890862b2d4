export { RedisModule } from './redis.module';
export { RedisConnections } from './redis-connections.service';
export { ReplicaAck } from './replica-ack';
export { connectRedis, reconnectDelay } from './redis-connection.factory';
export type { ConnectionProfile, RedisClient } from './redis-connection.factory';
export { loadLuaCommands, withLuaCommands } from './lua-commands';
export type { LuaCommand } from './lua-commands';
