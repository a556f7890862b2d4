import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { botConfig, BotConfig } from '../config/app.config';
import { classify, quotaOf } from './cometchat-error';
import type { OutgoingMessage, ReplySender, SentMessage } from './reply-sender';

export type { OutgoingMessage, SentMessage } from './reply-sender';

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
}
