import { Inject, Injectable } from '@nestjs/common';
import { BotEvent, CometChatCallback, Conversation, conversationOf, mentionsBot, mentionStripper, toBotEvent } from '../messages';
import { botsConfig, type BotsConfig } from './app.config';
import type { BotDefinition } from './bots-file';

/** One bot this deployment serves: its settings, and how it reads its callbacks. */
export interface ServedBot extends BotDefinition {
  /** Removes this bot's `<@uid:…>` mention tokens. */
  stripMentions(text: string): string;
  /** Whether the callback's message mentions this bot. */
  mentioned(callback: CometChatCallback): boolean;
  /** The conversation a callback of this bot belongs to (this bot's own, in a deployment of several). */
  conversationOf(callback: CometChatCallback): Conversation;
  /** The event this bot's responders see. */
  eventOf(callback: CometChatCallback, receivedAt?: number): BotEvent;
}

/**
 * The bots this deployment serves (BOTS_FILE's, or the one of BOT_UID), by UID in any case: CometChat lowercases
 * UIDs. With several, a conversation is one bot's (Conversation.bot) and every key of it carries the bot; with one,
 * the keys are as a single-bot deployment always had them.
 */
@Injectable()
export class ServedBots {
  readonly all: readonly ServedBot[];
  /** More than one bot: callbacks are routed by their bot, and conversations are each bot's own. */
  readonly several: boolean;
  private readonly byUid: Map<string, ServedBot>;

  constructor(@Inject(botsConfig.KEY) { bots }: BotsConfig) {
    this.several = bots.length > 1;
    const uids = new Set(bots.map((bot) => bot.uid));
    this.all = bots.map((bot) => servedBot(bot, this.several, uids));
    this.byUid = new Map(this.all.map((bot) => [bot.uid, bot]));
  }

  /** The bot of this UID (any case), if this deployment serves it. */
  find(uid: unknown): ServedBot | undefined {
    return typeof uid === 'string' ? this.byUid.get(uid.toLowerCase()) : undefined;
  }

  /** The bot a stored callback is for: its `bot` field's when there are several, else the one bot. */
  ofCallback(callback: CometChatCallback): ServedBot | undefined {
    return this.several ? this.find(callback.bot) : this.all[0];
  }

  /** The conversation of a stored callback: its bot's own when there are several (see ServedBot.conversationOf). */
  conversationOf(callback: CometChatCallback): Conversation {
    return conversationOf(callback, this.several ? callback.bot?.toLowerCase() : undefined);
  }

  /** The bot a conversation is with: its own (several bots), else the one bot. */
  ofConversation(conversation: Conversation): ServedBot | undefined {
    return this.several ? this.find(conversation.bot) : this.all[0];
  }
}

function servedBot(definition: BotDefinition, several: boolean, uids: ReadonlySet<string>): ServedBot {
  const { uid } = definition;
  const stripMentions = mentionStripper(uid);
  // Only a deployment of several bots has bots' conversations apart, and messages from other bots of its own.
  const conversationBot = several ? uid : undefined;
  return {
    ...definition,
    stripMentions,
    mentioned: (callback) => mentionsBot(callback, uid),
    conversationOf: (callback) => conversationOf(callback, conversationBot),
    eventOf: (callback, receivedAt) => {
      const sender = callback.data.sender.toLowerCase();
      const fromBot = several && sender !== uid && uids.has(sender);
      return toBotEvent(callback, uid, stripMentions, receivedAt, { conversationBot, fromBot });
    },
  };
}
