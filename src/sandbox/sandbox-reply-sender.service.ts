import { Injectable } from '@nestjs/common';
import { CometChatError } from '../cometchat/cometchat-error';
import type { DeletedMessage, EditedMessage, OutgoingMessage, ReplySender, SentMessage } from '../cometchat/reply-sender';
import { ServedBot, ServedBots } from '../config/served-bots';
import type { Conversation } from '../messages';
import { conversationIdOf } from './sandbox-callback.factory';
import { SandboxOutbox, SandboxReply } from './sandbox-outbox.service';

/**
 * The REPLY_SENDER of sandbox mode: "sends" a reply by storing it in the sandbox outbox, so the replies
 * processor, its retries and its record of sent replies run unchanged. A reply is sent as the bot of its
 * conversation (target.bot with several bots), as CometChatClient sends it.
 */
@Injectable()
export class SandboxReplySender implements ReplySender {
  constructor(
    private readonly outbox: SandboxOutbox,
    private readonly bots: ServedBots,
  ) {}

  async sendBotMessage(message: OutgoingMessage): Promise<SentMessage> {
    // Everything the message carries is kept (parentId, metadata, fields added later): the outbox shows what
    // CometChat would have been asked to store.
    const { target, reply, muid, ...rest } = message;
    const bot = this.botOf(target);
    const stored: SandboxReply = {
      ...rest,
      id: await this.outbox.nextMessageId(),
      sender: bot.uid,
      receiver: target.id,
      receiverType: target.type,
      conversationId: conversationIdOf(target.type, target.id, bot.uid),
      ...reply,
      muid,
      sentAt: Math.floor(Date.now() / 1000),
    };
    await this.outbox.deliver(stored);
    return stored;
  }

  /** Update Message: the stored reply's text is replaced where it stands; one the outbox dropped is refused as CometChat would (404). */
  async editBotMessage({ target, messageId, reply }: EditedMessage): Promise<SentMessage> {
    this.botOf(target);
    const edited = await this.outbox.edit(messageId, reply.data);
    if (!edited) throw new CometChatError('permanent', `message ${messageId} is not in the sandbox outbox`, 404);
    return edited;
  }

  /** Delete Message: the stored reply is marked deleted where it stands (the page shows it so); one gone already counts as deleted. */
  async deleteBotMessage({ target, messageId }: DeletedMessage): Promise<SentMessage> {
    this.botOf(target);
    return (await this.outbox.delete(messageId)) ?? { id: messageId };
  }

  async findSent({ target, muid }: OutgoingMessage): Promise<string | undefined> {
    // The bot's own messages only, as CometChatClient asks CometChat for them.
    const sender = this.bots.ofConversation(target)?.uid;
    return (await this.outbox.replies()).find((reply) => reply.muid === muid && reply.sender === sender)?.id;
  }

  /** A reply of a bot this deployment no longer serves is refused for good, as CometChatClient refuses it. */
  private botOf(target: Conversation): ServedBot {
    const bot = this.bots.ofConversation(target);
    if (bot === undefined) throw new CometChatError('permanent', `bot ${JSON.stringify(target.bot)} is not served by this deployment (BOTS_FILE)`);
    return bot;
  }
}
