import { redisTopology } from '../config/app.config';
import { HandoffStore } from '../handoff/handoff.store';
import { connectRedis } from '../redis';
import { readEnv, REDIS_KEYS } from './cli-config';
import type { CliOutput } from './cli-output';
import { CliError, EXIT_OK, UsageError } from './exit-codes';
import { requireRedis } from './redis-probe';

export interface ListHandoffsOptions {
  json?: boolean;
}

/** A conversation's name as the service gives it (conversationKey): `user-ana`, `group-team`, `support-bot/user-ana`. */
const CONVERSATION = /^(?:[a-z0-9_-]+\/)?(?:user|group)-[a-z0-9_-]+$/;

async function withStore(run: (store: HandoffStore) => Promise<number>): Promise<number> {
  const env = readEnv(REDIS_KEYS);
  const topology = redisTopology(env);
  await requireRedis(topology);
  const client = connectRedis(topology, { role: 'commands' });
  client.on('error', () => undefined); // surfaced by the command that fails
  try {
    return await run(new HandoffStore(client, env.QUEUE_PREFIX));
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/** `12 min`, `3 h 5 min`, `40 s`: how long, for a person. */
export function duration(ms: number): string {
  const seconds = Math.max(Math.round(ms / 1000), 0);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function list(options: ListHandoffsOptions, out: CliOutput): Promise<number> {
  return withStore(async (store) => {
    const now = Date.now();
    const handoffs = await store.list(now);
    if (options.json) {
      out.line(
        JSON.stringify(
          handoffs.map(({ conversation, since, until, by }) => ({ conversation, since: iso(since), until: iso(until), by })),
          null,
          2,
        ),
      );
      return EXIT_OK;
    }
    if (handoffs.length === 0) {
      out.line('No conversation is handed to people.');
      return EXIT_OK;
    }
    out.line(`${handoffs.length} conversation${handoffs.length === 1 ? '' : 's'} handed to people:`);
    for (const { conversation, since, until, by } of handoffs) {
      const asker = by.name ? `${by.name} (${by.uid})` : by.uid;
      out.line(
        `  ${conversation}  since ${iso(since)} (${duration(now - since)} ago), asked by ${asker}; back to the bot at ${iso(until)} unless resumed`,
      );
    }
    return EXIT_OK;
  });
}

export function resume(wanted: string, out: CliOutput): Promise<number> {
  const conversation = wanted.trim().toLowerCase();
  if (!CONVERSATION.test(conversation)) {
    throw new UsageError(
      `"${wanted}" is not a conversation: give it as \`handoff list\` shows it (user-<uid>, group-<guid>, or <bot uid>/user-<uid>)`,
    );
  }
  return withStore(async (store) => {
    // Noted for the service's next scrape: the CLI has no metrics of its own.
    const { handoff, timedOut } = await store.end(conversation, { note: true });
    if (!handoff) {
      const why = timedOut ? 'its handoff had timed out already (HANDOFF_TIMEOUT_MS)' : 'see `handoff list`';
      throw new CliError(`conversation ${conversation} is not handed to people: ${why}`);
    }
    out.line(`${conversation} is back with the bot (it was with people for ${duration(Date.now() - handoff.since)}, since ${iso(handoff.since)})`);
    return EXIT_OK;
  });
}
