import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import type { AxiosRequestConfig } from 'axios';
import { ServedBot, ServedBots } from '../config/served-bots';
import type { Conversation } from '../messages';
import { classify, CometChatError, quotaOf } from './cometchat-error';
import type { DeletedMessage, EditedMessage, OutgoingMessage, ReplySender, SentMessage } from './reply-sender';

export type { EditedMessage, OutgoingMessage, SentMessage } from './reply-sender';

/** How many of the bot's recent messages in a conversation one look for an unconfirmed send reads. */
const LOOKUP_PAGE = 50;
/** Taken off the look's start: CometChat's clock may run behind ours. */
const CLOCK_SKEW_S = 60;

/**
 * CometChat's REST API v3, as far as the bot needs it, for each bot of the deployment: a reply goes as the bot of its
 * conversation, to that bot's app (its REST URL and key). Throws a classified CometChatError on failure.
 */
@Injectable()
export class CometChatClient implements ReplySender {
  constructor(
    private readonly http: HttpService,
    private readonly bots: ServedBots,
  ) {}

  /**
   * Send Bot Message: POST /bots/{uid}/messages. A reply into a thread goes to POST /messages/{parentId}/thread
   * on behalf of the bot instead: CometChat documents threads for bots only through that endpoint (inferred use).
   */
  async sendBotMessage({ target, reply, muid }: OutgoingMessage): Promise<SentMessage> {
    const { parentId, ...message } = reply;
    const bot = this.botOf(target);
    const body = { receiver: target.id, receiverType: target.type, ...message, muid };
    const path = parentId ? `/messages/${encodeURIComponent(parentId)}/thread` : `/bots/${encodeURIComponent(bot.uid)}/messages`;
    try {
      const response = await this.http.axiosRef.post<{ data: SentMessage }>(path, body, asBot(bot, !!parentId));
      const quota = quotaOf(response.headers);
      return { ...(response.data?.data ?? { id: '' }), status: response.status, ...(quota ? { quota } : {}) };
    } catch (error) {
      throw classify(error);
    }
  }

  /** Update Message: PUT /messages/{id} on behalf of the bot, with the message's new data (its text, say). */
  async editBotMessage({ target, messageId, reply }: EditedMessage): Promise<SentMessage> {
    const bot = this.botOf(target);
    try {
      const response = await this.http.axiosRef.put<{ data: SentMessage }>(
        `/messages/${encodeURIComponent(messageId)}`,
        { data: reply.data },
        asBot(bot, true),
      );
      const quota = quotaOf(response.headers);
      return { ...(response.data?.data ?? {}), id: messageId, status: response.status, ...(quota ? { quota } : {}) };
    } catch (error) {
      throw classify(error);
    }
  }

  /** Delete Message: DELETE /messages/{id} on behalf of the bot. CometChat's 404 (gone already) is the deletion done. */
  async deleteBotMessage({ target, messageId }: DeletedMessage): Promise<SentMessage> {
    const bot = this.botOf(target);
    try {
      const response = await this.http.axiosRef.delete<{ data: SentMessage }>(`/messages/${encodeURIComponent(messageId)}`, asBot(bot, true));
      const quota = quotaOf(response.headers);
      return { ...(response.data?.data ?? {}), id: messageId, status: response.status, ...(quota ? { quota } : {}) };
    } catch (error) {
      const refused = classify(error);
      if (refused instanceof CometChatError && refused.status === 404) return { id: messageId, status: 404 };
      throw refused;
    }
  }

  /**
   * List Messages of the reply's conversation (a thread's for a thread reply) on behalf of the bot: its own messages
   * since `sinceMs`, one page. CometChat's message objects carry the `muid` they were sent with (as callbacks show).
   */
  async findSent({ target, reply, muid }: OutgoingMessage, sinceMs: number): Promise<string | undefined> {
    const path = reply.parentId
      ? `/messages/${encodeURIComponent(reply.parentId)}/thread`
      : `/${target.type === 'group' ? 'groups' : 'users'}/${encodeURIComponent(target.id)}/messages`;
    const bot = this.botOf(target);
    const params = { sender: bot.uid, fromTimestamp: Math.floor(sinceMs / 1000) - CLOCK_SKEW_S, limit: LOOKUP_PAGE };
    try {
      const response = await this.http.axiosRef.get<{ data?: Array<{ id?: unknown; muid?: unknown }> }>(path, { params, ...asBot(bot, true) });
      const page = response.data?.data;
      const found = (Array.isArray(page) ? page : []).find((message) => message.muid === muid);
      return typeof found?.id === 'string' || typeof found?.id === 'number' ? String(found.id) : undefined;
    } catch (error) {
      throw classify(error);
    }
  }

  /** The bot the conversation is with; a reply of a bot this deployment no longer serves is refused for good. */
  private botOf(target: Conversation): ServedBot {
    const bot = this.bots.ofConversation(target);
    if (bot === undefined) throw new CometChatError('permanent', `bot ${JSON.stringify(target.bot)} is not served by this deployment (BOTS_FILE)`);
    return bot;
  }
}

/** A call to the bot's app, with its key, counted as the bot's; `onBehalf`: made on behalf of the bot (threads, lookups). */
function asBot(bot: ServedBot, onBehalf: boolean): AxiosRequestConfig {
  const headers: Record<string, string> = onBehalf ? { onBehalfOf: bot.uid } : {};
  if (bot.app.apiKey !== undefined) headers.apikey = bot.app.apiKey;
  return { baseURL: bot.app.apiUrl, headers, bot: bot.uid };
}
