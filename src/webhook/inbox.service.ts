import { Injectable } from '@nestjs/common';
import type { ServedBot } from '../config/served-bots';
import { isStopRequest } from '../messages';
import { EventsProducer } from '../queue/events/events.producer';
import type { CometChatCallbackDto } from './dto/cometchat-callback.dto';

export type InboxResult = { status: 'accepted' | 'duplicate'; id: string } | { status: 'ignored'; id: string; reason: IgnoreReason };

export type IgnoreReason = 'own-message' | 'unsupported-trigger' | 'unsupported-category' | 'group-setting';

const ANSWERED_TRIGGER = 'after_message';
// Member joins, edits, deletes and calls are not conversation turns a bot answers.
const IGNORED_CATEGORIES = new Set(['action', 'call']);

/** Decides which callbacks the bot takes, and stores those through the queue's producer. */
@Injectable()
export class InboxService {
  constructor(private readonly events: EventsProducer) {}

  /** Filters a callback of this bot, then deduplicates and stores it (throws MessageNotStoredError when it cannot). */
  async receive(callback: CometChatCallbackDto, bot: ServedBot): Promise<InboxResult> {
    const id = callback.data.id;
    const reason = this.ignoreReason(callback, bot);
    if (reason) return { status: 'ignored', id, reason };
    const text = callback.data.data?.text;
    const stopRequest = typeof text === 'string' && isStopRequest(bot.stripMentions(text));
    return { status: await this.events.store(callback, bot.conversationOf(callback), { stopRequest }), id };
  }

  private ignoreReason(callback: CometChatCallbackDto, bot: ServedBot): IgnoreReason | undefined {
    const sender = callback.data.sender.toLowerCase();
    if (sender === bot.uid || (callback.bot !== undefined && sender === callback.bot.toLowerCase())) {
      return 'own-message';
    }
    if (callback.trigger !== ANSWERED_TRIGGER) return 'unsupported-trigger';
    if (IGNORED_CATEGORIES.has(callback.data.category)) return 'unsupported-category';
    if (callback.data.receiverType === 'group' && !this.groupMessageWanted(callback, bot)) return 'group-setting';
    return undefined;
  }

  /** The bot's group chat setting applied here too, so a bot misconfigured in CometChat still answers only what it should. */
  private groupMessageWanted(callback: CometChatCallbackDto, bot: ServedBot): boolean {
    switch (bot.groupChatSetting) {
      case 'allMessages':
        return true;
      case 'mentionedMessages':
        return bot.mentioned(callback);
      case 'slashedMessages': {
        const text = callback.data.data?.text;
        return typeof text === 'string' && bot.stripMentions(text).startsWith('/');
      }
      default:
        return false;
    }
  }
}
