import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ServedBot, ServedBots } from '../config/served-bots';
import { buildSandboxCallback, conversationIdOf, SandboxConversation } from './sandbox-callback.factory';
import { SandboxOutbox, SandboxSentMessage } from './sandbox-outbox.service';
import type { SandboxMessageDto } from './dto/sandbox-message.dto';
import { basicAuthHeader } from '../common/basic-auth';
import { WEBHOOK_PATH } from '../webhook/callback.route';

export interface SandboxSendResult {
  id: string;
  /** The page's log entry for the message, as the event stream also announces it. */
  message: SandboxSentMessage;
  /** The callback posted to the webhook, as CometChat would have sent it. */
  callback: Record<string, unknown>;
  /** The webhook's answer: accepted, duplicate, ignored (with the reason), or an error. */
  webhook: { statusCode: number; body: unknown };
}

/**
 * Turns a message typed on the chat page into a CometChat callback and posts it to this service's own webhook,
 * with the configured Basic Auth, in process (Fastify inject): guard, validation, filters, dedupe and queue all
 * run as for CometChat. The credentials stay here; the page only ever sees the webhook's answer. With several bots
 * the message is to the bot the page chose (the first when it names none): the callback is that bot's, posted to
 * its own path with its own credentials, as CometChat would post it.
 */
@Injectable()
export class SandboxChatService {
  private readonly logger = new Logger(SandboxChatService.name);
  /** Each bot's Basic Auth header. */
  private readonly authorization: Map<ServedBot, string>;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly outbox: SandboxOutbox,
    private readonly bots: ServedBots,
  ) {
    this.authorization = new Map(bots.all.map((bot) => [bot, basicAuthHeader(bot.webhook.username, bot.webhook.password)]));
  }

  async send(input: SandboxMessageDto): Promise<SandboxSendResult> {
    const bot = this.botOf(input.bot);
    const fresh = await this.outbox.nextMessageId();
    // A resend keeps the old message id (that is the point) but takes a new place in the page's feed.
    const id = input.id ?? fresh;
    const conversation: SandboxConversation = input.conversation.type === 'group' ? { type: 'group', id: input.conversation.id! } : { type: 'user' };
    const sentAt = Math.floor(Date.now() / 1000);
    const callback = buildSandboxCallback(
      { id, sender: input.sender, conversation, text: input.text, sentAt },
      { uid: bot.uid, appId: bot.app.appId, region: bot.app.region },
    );

    const response = await this.adapterHost.httpAdapter.getInstance<FastifyInstance>().inject({
      method: 'POST',
      // One bot: the path it always posted to.
      url: this.bots.several ? `${WEBHOOK_PATH}/${bot.uid}` : WEBHOOK_PATH,
      headers: { authorization: this.authorization.get(bot)!, 'content-type': 'application/json' },
      payload: JSON.stringify(callback),
    });
    const webhook = { statusCode: response.statusCode, body: parseBody(response.body) };

    const [receiverType, receiver] = conversation.type === 'group' ? (['group', conversation.id] as const) : (['user', bot.uid] as const);
    const sent: SandboxSentMessage = {
      seq: fresh,
      id,
      // The page shows it in that bot's view (a group message's receiver is the group); one bot has one view.
      ...(this.bots.several ? { bot: bot.uid } : {}),
      ...(input.clientRef ? { clientRef: input.clientRef } : {}),
      sender: input.sender.name ? { uid: input.sender.uid, name: input.sender.name } : { uid: input.sender.uid },
      receiver,
      receiverType,
      conversationId: conversationIdOf(receiverType, receiver, input.sender.uid),
      text: input.text,
      sentAt,
      webhook,
    };
    // The page learns the answer from this response; the log only lets other tabs and reloads show it too.
    await this.outbox.recordSent(sent).catch((error: Error) => this.logger.warn(`page message ${id} not logged: ${error.message}`));
    return { id, message: sent, callback, webhook };
  }

  /** The bot the page chose: any served bot (the page lists them all); none named, the first. */
  private botOf(uid: string | undefined): ServedBot {
    if (uid === undefined) return this.bots.all[0];
    const bot = this.bots.find(uid);
    if (bot === undefined) throw new BadRequestException(`bot: ${uid} is not a bot of this deployment`);
    return bot;
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
