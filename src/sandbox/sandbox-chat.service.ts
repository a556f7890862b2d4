import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { botConfig, BotConfig, cometchatConfig, CometChatConfig, webhookConfig, WebhookConfig } from '../config/app.config';
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
 * run as for CometChat. The credentials stay here; the page only ever sees the webhook's answer.
 */
@Injectable()
export class SandboxChatService {
  private readonly logger = new Logger(SandboxChatService.name);
  private readonly authorization: string;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly outbox: SandboxOutbox,
    @Inject(botConfig.KEY) private readonly bot: BotConfig,
    @Inject(cometchatConfig.KEY) private readonly cometchat: CometChatConfig,
    @Inject(webhookConfig.KEY) webhook: WebhookConfig,
  ) {
    this.authorization = basicAuthHeader(webhook.username, webhook.password);
  }

  async send(input: SandboxMessageDto): Promise<SandboxSendResult> {
    const fresh = await this.outbox.nextMessageId();
    // A resend keeps the old message id (that is the point) but takes a new place in the page's feed.
    const id = input.id ?? fresh;
    const conversation: SandboxConversation = input.conversation.type === 'group' ? { type: 'group', id: input.conversation.id! } : { type: 'user' };
    const sentAt = Math.floor(Date.now() / 1000);
    const callback = buildSandboxCallback(
      { id, sender: input.sender, conversation, text: input.text, sentAt },
      { uid: this.bot.uid, appId: this.cometchat.appId, region: this.cometchat.region },
    );

    const response = await this.adapterHost.httpAdapter.getInstance<FastifyInstance>().inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { authorization: this.authorization, 'content-type': 'application/json' },
      payload: JSON.stringify(callback),
    });
    const webhook = { statusCode: response.statusCode, body: parseBody(response.body) };

    const [receiverType, receiver] = conversation.type === 'group' ? (['group', conversation.id] as const) : (['user', this.bot.uid] as const);
    const sent: SandboxSentMessage = {
      seq: fresh,
      id,
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
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
