import { describeTopology, RedisTopology } from '../config/app.config';
import { connectRedis } from '../redis';
import { CliError } from './exit-codes';

export const REDIS_PROBE_TIMEOUT_MS = 2000;

/**
 * PING within the deadline on a throwaway connection that never retries, so a dead Redis fails the command
 * in seconds instead of hanging on reconnect attempts. Resolves to the round trip in ms.
 */
export async function pingRedis(topology: RedisTopology, timeoutMs = REDIS_PROBE_TIMEOUT_MS): Promise<number> {
  const started = Date.now();
  const client = connectRedis(topology, { role: 'probe', timeoutMs });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
    return Date.now() - started;
  } catch (error) {
    throw new Error(lastError?.message ?? (error as Error).message);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The same probe as a precondition: a CliError (exit 1) naming the Redis when it does not answer. */
export async function requireRedis(topology: RedisTopology): Promise<void> {
  try {
    await pingRedis(topology);
  } catch (error) {
    throw new CliError(`Redis at ${describeTopology(topology)} does not answer: ${(error as Error).message}`);
  }
}
