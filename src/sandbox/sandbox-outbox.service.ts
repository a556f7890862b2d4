import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { redisConfig, RedisConfig, sandboxConfig, SandboxConfig } from '../config/app.config';
import { join } from 'node:path';
import { connectRedis, RedisClient, withLuaCommands } from '../redis';

/** A bot reply as the sandbox stored it: the Send Bot Message body, plus what CometChat would have added. */
/** The app webhook triggers the chat page can cause (cometchat-api.md §7). */
export type SandboxEventTrigger = 'message_edited' | 'message_deleted' | 'message_reaction_added' | 'message_reaction_removed';

/** A reaction as the page's user gave it; the added and removed events of one reaction share its `id`. */
export interface SandboxReaction {
  id: string;
  /** The reply reacted to. */
  messageId: string;
  reaction: string;
  uid: string;
  name?: string;
  /** Unix seconds. */
  reactedAt: number;
}

export interface SandboxReply {
  /** Generated, numeric and increasing like CometChat's message ids. */
  id: string;
  sender: string;
  receiver: string;
  receiverType: 'user' | 'group';
  conversationId: string;
  category: string;
  type: string;
  data: Record<string, unknown>;
  muid: string;
  /** Unix seconds, as CometChat answers. */
  sentAt: number;
  [field: string]: unknown;
}

/** A message typed on the chat page, with the webhook's answer to it. */
export interface SandboxSentMessage {
  /** Feed position: the message id, or a fresh one when the same message id was sent again. */
  seq: string;
  id: string;
  /** The bot it was sent to, with several bots (a reply's bot is its `sender`). */
  bot?: string;
  clientRef?: string;
  sender: { uid: string; name?: string };
  receiver: string;
  receiverType: 'user' | 'group';
  conversationId: string;
  text: string;
  sentAt: number;
  webhook: { statusCode: number; body: unknown };
  /** Edited on the page (the text is the new one), in Unix seconds. */
  editedAt?: number;
  /** Deleted on the page, in Unix seconds: shown as deleted. */
  deletedAt?: number;
  /** The latest app webhook event the page sent about it, and the events route's answer. */
  change?: { trigger: SandboxEventTrigger; webhook: { statusCode: number; body: unknown } };
}

/** Every reaction a reply has now (the page shows them under it). */
export interface SandboxReactions {
  id: string;
  reactions: SandboxReaction[];
}

/**
 * A reply stored, a page message, or a change the page shows where the message stands: a reply edited (a streamed
 * answer filled in) or deleted, a page message edited or deleted (`sent-update`), a reply's reactions (`reactions`).
 */
export type SandboxFeedItem =
  | { kind: 'reply'; seq: string; item: SandboxReply }
  | { kind: 'sent'; seq: string; item: SandboxSentMessage }
  | { kind: 'edit'; seq: string; item: SandboxReply }
  | { kind: 'delete'; seq: string; item: SandboxReply }
  | { kind: 'sent-update'; seq: string; item: SandboxSentMessage }
  | { kind: 'reactions'; seq: string; item: SandboxReactions };

/** A reply's reactions outlive the outbox's turnover by far, then go: nothing else ever deletes them. */
const REACTIONS_TTL_SECONDS = 7 * 24 * 3600;

export type FeedListener = (entry: SandboxFeedItem) => void;

/** The outbox's scripts (commands/*.lua). */
interface OutboxCommands {
  nextMessageId(counter: string, now: number): Promise<number>;
  editReply(outbox: string, id: string, json: string, feed: string, announcement: string): Promise<number>;
  changeSent(sent: string, id: string, fields: string, feed: string): Promise<string | null>;
  toggleReaction(reactions: string, field: string, json: string, feed: string, id: string, ttlSeconds: number): Promise<[number, string]>;
}
type OutboxRedis = RedisClient & OutboxCommands;

/**
 * The sandbox's Redis side: the bounded outbox of bot replies (what CometChat would have received), the log of
 * messages sent from the chat page, message ids, and a pub/sub feed of both, so the page sees replies made by
 * a worker in another process. Connections open on first use only: a live bot never opens them.
 */
@Injectable()
export class SandboxOutbox implements OnApplicationShutdown {
  private readonly logger = new Logger(SandboxOutbox.name);
  readonly keys: { outbox: string; sent: string; messageId: string; feed: string; reactions: (id: string) => string };
  private client?: OutboxRedis;
  private subscriber?: RedisClient;
  private subscribing?: Promise<void>;
  private readonly listeners = new Set<FeedListener>();

  constructor(
    @Inject(redisConfig.KEY) private readonly redis: RedisConfig,
    @Inject(sandboxConfig.KEY) private readonly config: SandboxConfig,
  ) {
    const base = `${redis.prefix}:sandbox`;
    this.keys = {
      outbox: `${base}:outbox`,
      sent: `${base}:sent`,
      messageId: `${base}:message-id`,
      feed: `${base}:feed`,
      reactions: (id) => `${base}:reactions:${id}`,
    };
  }

  async nextMessageId(): Promise<string> {
    return String(await this.commands().nextMessageId(this.keys.messageId, Date.now()));
  }

  /** Stores a reply (the oldest beyond SANDBOX_OUTBOX_SIZE are dropped) and announces it, in one round trip. */
  async deliver(reply: SandboxReply): Promise<void> {
    await this.append(this.keys.outbox, { kind: 'reply', seq: reply.id, item: reply });
  }

  /**
   * Edits a stored reply's data (as CometChat's Update Message does) and announces it; the reply as edited, or undefined
   * when the outbox no longer holds it (dropped beyond SANDBOX_OUTBOX_SIZE).
   */
  async edit(id: string, data: Record<string, unknown>): Promise<SandboxReply | undefined> {
    const stored = (await this.replies()).find((reply) => reply.id === id);
    if (!stored) return undefined;
    const edited: SandboxReply = { ...stored, data: { ...stored.data, ...data }, editedAt: Math.floor(Date.now() / 1000) };
    const announcement: SandboxFeedItem = { kind: 'edit', seq: id, item: edited };
    const replaced = await this.commands().editReply(this.keys.outbox, id, JSON.stringify(edited), this.keys.feed, JSON.stringify(announcement));
    return replaced === 1 ? edited : undefined;
  }

  /** Marks a stored reply deleted where it stands, as CometChat keeps a deleted message (`deletedAt`); the page shows it so. */
  async delete(id: string): Promise<SandboxReply | undefined> {
    const stored = (await this.replies()).find((reply) => reply.id === id);
    if (!stored) return undefined;
    const deleted: SandboxReply = { ...stored, deletedAt: Math.floor(Date.now() / 1000) };
    const announcement: SandboxFeedItem = { kind: 'delete', seq: id, item: deleted };
    const replaced = await this.commands().editReply(this.keys.outbox, id, JSON.stringify(deleted), this.keys.feed, JSON.stringify(announcement));
    return replaced === 1 ? deleted : undefined;
  }

  /** Keeps the page's own messages (bounded like the outbox) so every open page, and a reload, shows them. */
  async recordSent(message: SandboxSentMessage): Promise<void> {
    await this.append(this.keys.sent, { kind: 'sent', seq: message.seq, item: message });
  }

  /** The page message of that id, as the page log holds it now (the newest entry), or undefined. */
  async sentMessage(id: string): Promise<SandboxSentMessage | undefined> {
    return (await this.commands().lrange(this.keys.sent, 0, -1)).map((json) => JSON.parse(json) as SandboxSentMessage).find((sent) => sent.id === id);
  }

  /**
   * Sets fields of a page message (an edit's text, a delete's `deletedAt`) in every entry of its id, and announces each;
   * the newest entry as changed, or undefined when the log holds none not deleted.
   */
  async changeSent(id: string, fields: Partial<SandboxSentMessage>): Promise<SandboxSentMessage | undefined> {
    const changed = await this.commands().changeSent(this.keys.sent, id, JSON.stringify(fields), this.keys.feed);
    return changed ? (JSON.parse(changed) as SandboxSentMessage) : undefined;
  }

  /**
   * Adds the user's reaction to a reply, or takes it back when they had given it (the page's toggle), and announces the
   * reply's reactions: whether it was added, and the reaction (a removed one as it was added: the same id).
   */
  async toggleReaction(reaction: SandboxReaction): Promise<{ added: boolean; reaction: SandboxReaction }> {
    const [added, json] = await this.commands().toggleReaction(
      this.keys.reactions(reaction.messageId),
      `${reaction.uid}:${reaction.reaction}`,
      JSON.stringify(reaction),
      this.keys.feed,
      reaction.messageId,
      REACTIONS_TTL_SECONDS,
    );
    return { added: added === 1, reaction: JSON.parse(json) as SandboxReaction };
  }

  /** The newest stored replies, newest first. */
  async replies(limit = this.config.outboxSize): Promise<SandboxReply[]> {
    return (await this.commands().lrange(this.keys.outbox, 0, limit - 1)).map((json) => JSON.parse(json) as SandboxReply);
  }

  /** The newest replies and page messages (up to `limit` of each), oldest first; a reply's reactions right after it. */
  async feed(limit = 200): Promise<SandboxFeedItem[]> {
    const [replies, sent] = await Promise.all([
      this.commands().lrange(this.keys.outbox, 0, limit - 1),
      this.commands().lrange(this.keys.sent, 0, limit - 1),
    ]);
    const stored = replies.map((json) => JSON.parse(json) as SandboxReply);
    const items: SandboxFeedItem[] = [
      ...stored.map((item): SandboxFeedItem => ({ kind: 'reply', seq: item.id, item })),
      ...(await this.reactionsOf(stored.map((reply) => reply.id))),
      ...sent.map((json): SandboxFeedItem => {
        const item = JSON.parse(json) as SandboxSentMessage;
        return { kind: 'sent', seq: item.seq, item };
      }),
    ];
    // A stable sort: reactions stay after the reply of the same seq.
    return items.sort((a, b) => compareSeq(a.seq, b.seq));
  }

  /** The reactions of the replies that have some, in one round trip. */
  private async reactionsOf(ids: string[]): Promise<SandboxFeedItem[]> {
    if (ids.length === 0) return [];
    const pipeline = this.commands().pipeline();
    for (const id of ids) pipeline.hvals(this.keys.reactions(id));
    const results = (await pipeline.exec()) ?? [];
    return ids.flatMap((id, index): SandboxFeedItem[] => {
      const [error, values] = results[index] ?? [];
      if (error) throw error;
      const reactions = (values as string[]).map((json) => JSON.parse(json) as SandboxReaction);
      return reactions.length > 0 ? [{ kind: 'reactions', seq: id, item: { id, reactions } }] : [];
    });
  }

  /** Calls `listener` for every reply and page message stored from now on, by any process; returns the unsubscribe. */
  async watch(listener: FeedListener): Promise<() => void> {
    this.subscribing ??= this.subscribe().catch((error: unknown) => {
      this.subscribing = undefined; // the next page to connect tries again
      throw error;
    });
    await this.subscribing;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    const open = [this.client, this.subscriber].filter((connection) => connection !== undefined);
    await Promise.all(open.map((connection) => connection.quit().catch(() => connection.disconnect())));
  }

  /** One subscriber connection per process, shared by every open page. */
  private async subscribe(): Promise<void> {
    const subscriber = this.connect();
    subscriber.on('message', (_channel: string, json: string) => {
      let entry: SandboxFeedItem;
      try {
        entry = JSON.parse(json) as SandboxFeedItem;
      } catch {
        return;
      }
      for (const notify of this.listeners) notify(entry);
    });
    this.subscriber = subscriber;
    try {
      await subscriber.subscribe(this.keys.feed);
    } catch (error) {
      this.subscriber = undefined;
      subscriber.disconnect();
      throw error;
    }
  }

  private async append(list: string, entry: SandboxFeedItem): Promise<void> {
    const json = JSON.stringify(entry.item);
    const results = await this.commands()
      .multi()
      .lpush(list, json)
      .ltrim(list, 0, this.config.outboxSize - 1)
      .publish(this.keys.feed, JSON.stringify(entry))
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('sandbox outbox write was discarded');
  }

  private commands(): OutboxRedis {
    return (this.client ??= this.connect());
  }

  private connect(): OutboxRedis {
    // Fails a command after one reconnect attempt, so a reply job errors and is retried like a failed send.
    const connection = connectRedis(this.redis.topology, { role: 'commands' });
    connection.on('error', (error: Error) => this.logger.debug(`sandbox Redis: ${error.message}`));
    return withLuaCommands<OutboxCommands>(connection, join(__dirname, 'commands'));
  }
}

/** Sequence numbers are digit strings of possibly different lengths: compare them as numbers. */
export function compareSeq(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
