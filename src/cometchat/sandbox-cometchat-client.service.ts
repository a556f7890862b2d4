import { Inject, Injectable } from '@nestjs/common';
import { botConfig, BotConfig } from '../config/app.config';
import { conversationIdOf } from '../sandbox/sandbox-callback.factory';
import { SandboxOutbox, SandboxReply } from '../sandbox/sandbox-outbox.service';
import type { CometChatClient, OutgoingMessage, SentMessage } from './cometchat-client.service';

/**
 * CometChatClient's stand-in in sandbox mode: "sends" a reply by storing it in the sandbox outbox. Provided
 * under the CometChatClient token, so the replies processor, its retries and its record of sent replies run unchanged.
 */
@Injectable()
export class SandboxCometChatClient implements Pick<CometChatClient, 'sendBotMessage'> {
  constructor(
    private readonly outbox: SandboxOutbox,
    @Inject(botConfig.KEY) private readonly bot: BotConfig,
  ) {}

  async sendBotMessage(message: OutgoingMessage): Promise<SentMessage> {
    // Everything the message carries is kept (parentId, metadata, fields added later): the outbox shows what
    // CometChat would have been asked to store.
    const { target, reply, muid, ...rest } = message;
    const stored: SandboxReply = {
      ...rest,
      id: await this.outbox.nextMessageId(),
      sender: this.bot.uid,
      receiver: target.id,
      receiverType: target.type,
      conversationId: conversationIdOf(target.type, target.id, this.bot.uid),
      ...reply,
      muid,
      sentAt: Math.floor(Date.now() / 1000),
    };
    await this.outbox.deliver(stored);
    return stored;
  }
}
