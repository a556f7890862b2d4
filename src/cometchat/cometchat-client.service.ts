import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { botConfig, BotConfig } from '../config/app.config';
import { classify, quotaOf } from './cometchat-error';
import type { OutgoingMessage, ReplySender, SentMessage } from './reply-sender';

export type { OutgoingMessage, SentMessage } from './reply-sender';

/** How many of the bot's recent messages in a conversation one look for an unconfirmed send reads. */
const LOOKUP_PAGE = 50;
/** Taken off the look's start: CometChat's clock may run behind ours. */
const CLOCK_SKEW_S = 60;

/** CometChat's REST API v3, as far as the bot needs it. Throws a classified CometChatError on failure. */
@Injectable()
export class CometChatClient implements ReplySender {
  private readonly messagesPath: string;
  private readonly botUid: string;

  constructor(
    private readonly http: HttpService,
    @Inject(botConfig.KEY) bot: BotConfig,
  ) {
    this.botUid = bot.uid;
    this.messagesPath = `/bots/${encodeURIComponent(bot.uid)}/messages`;
  }

  /**
   * Send Bot Message: POST /bots/{uid}/messages. A reply into a thread goes to POST /messages/{parentId}/thread
   * on behalf of the bot instead: CometChat documents threads for bots only through that endpoint (inferred use).
   */
  async sendBotMessage({ target, reply, muid }: OutgoingMessage): Promise<SentMessage> {
    const { parentId, ...message } = reply;
    const body = { receiver: target.id, receiverType: target.type, ...message, muid };
    const [path, headers] = parentId ? [`/messages/${encodeURIComponent(parentId)}/thread`, { onBehalfOf: this.botUid }] : [this.messagesPath, {}];
    try {
      const response = await this.http.axiosRef.post<{ data: SentMessage }>(path, body, { headers });
      const quota = quotaOf(response.headers);
      return { ...(response.data?.data ?? { id: '' }), status: response.status, ...(quota ? { quota } : {}) };
    } catch (error) {
      throw classify(error);
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
    const params = { sender: this.botUid, fromTimestamp: Math.floor(sinceMs / 1000) - CLOCK_SKEW_S, limit: LOOKUP_PAGE };
    try {
      const response = await this.http.axiosRef.get<{ data?: Array<{ id?: unknown; muid?: unknown }> }>(path, {
        params,
        headers: { onBehalfOf: this.botUid },
      });
      const page = response.data?.data;
      const found = (Array.isArray(page) ? page : []).find((message) => message.muid === muid);
      return typeof found?.id === 'string' || typeof found?.id === 'number' ? String(found.id) : undefined;
    } catch (error) {
      throw classify(error);
    }
  }
}
