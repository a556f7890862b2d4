import { Inject, Injectable } from '@nestjs/common';
import type { OutgoingMessage, ReplySender, SentMessage } from '../cometchat/reply-sender';
import { botConfig, BotConfig } from '../config/app.config';
import { conversationIdOf } from './sandbox-callback.factory';
import { SandboxOutbox, SandboxReply } from './sandbox-outbox.service';

/**
 * The REPLY_SENDER of sandbox mode: "sends" a reply by storing it in the sandbox outbox, so the replies
 * processor, its retries and its record of sent replies run unchanged.
 */
@Injectable()
export class SandboxReplySender implements ReplySender {
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

  async findSent({ muid }: OutgoingMessage): Promise<string | undefined> {
    return (await this.outbox.replies()).find((reply) => reply.muid === muid)?.id;
  }
}
