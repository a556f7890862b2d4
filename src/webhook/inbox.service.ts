import { Inject, Injectable } from '@nestjs/common';
import { botConfig, BotConfig, respondersConfig, RespondersConfig } from '../config/app.config';
import type { GroupChatSetting } from '../config/env.validation';
import { mentionsBot, mentionStripper } from '../messages';
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
  private readonly botUid: string;
  private readonly stripMentions: (text: string) => string;
  private readonly groupSetting: GroupChatSetting;

  constructor(
    private readonly events: EventsProducer,
    @Inject(botConfig.KEY) bot: BotConfig,
    @Inject(respondersConfig.KEY) responders: RespondersConfig,
  ) {
    this.botUid = bot.uid;
    this.stripMentions = mentionStripper(bot.uid);
    this.groupSetting = responders.groupChatSetting;
  }

  /** Filters a callback, then deduplicates and stores it (throws MessageNotStoredError when it cannot). */
  async receive(callback: CometChatCallbackDto): Promise<InboxResult> {
    const id = callback.data.id;
    const reason = this.ignoreReason(callback);
    if (reason) return { status: 'ignored', id, reason };
    return { status: await this.events.store(callback), id };
  }

  private ignoreReason(callback: CometChatCallbackDto): IgnoreReason | undefined {
    const sender = callback.data.sender.toLowerCase();
    if (sender === this.botUid || (callback.bot !== undefined && sender === callback.bot.toLowerCase())) {
      return 'own-message';
    }
    if (callback.trigger !== ANSWERED_TRIGGER) return 'unsupported-trigger';
    if (IGNORED_CATEGORIES.has(callback.data.category)) return 'unsupported-category';
    if (callback.data.receiverType === 'group' && !this.groupMessageWanted(callback)) return 'group-setting';
    return undefined;
  }

  /** GROUP_CHAT_SETTING applied here too, so a bot misconfigured in CometChat still answers only what it should. */
  private groupMessageWanted(callback: CometChatCallbackDto): boolean {
    switch (this.groupSetting) {
      case 'allMessages':
        return true;
      case 'mentionedMessages':
        return mentionsBot(callback, this.botUid);
      case 'slashedMessages': {
        const text = callback.data.data?.text;
        return typeof text === 'string' && this.stripMentions(text).startsWith('/');
      }
      default:
        return false;
    }
  }
}
