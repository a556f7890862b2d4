import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { createHash } from 'node:crypto';
import type { ServedBot } from '../../config/served-bots';
import { ServedBots } from '../../config/served-bots';
import {
  APP_EVENT_TRIGGERS,
  isAppEventTrigger,
  type CallbackMessage,
  type CometChatCallback,
  type Conversation,
  type MessageChange,
} from '../../messages';
import { AnswerRecords } from '../../queue/answers/answer-records';
import { EventsProducer, MessageNotStoredError } from '../../queue/events/events.producer';
import { describeValidationErrors } from '../callback-refusal';
import { AppWebhookDto, MessageEventData, ReactionEventData } from './app-event.dto';

export type AppEventIgnoreReason = 'unsupported-trigger' | 'own-change' | 'other-conversation' | 'unknown-message';
export type AppEventResult = { status: 'accepted' | 'duplicate'; id: string } | { status: 'ignored'; id?: string; reason: AppEventIgnoreReason };

/** A body that can never be taken as it is: the route answers `status` (400, 404) with this message. */
export class AppEventRefusal extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The message an edit or delete changes is not stored yet though it was sent moments ago: its callback may still be on
 * its way. The route answers 503, so CometChat delivers the change again later (+10 s, +30 s), after the message.
 */
export class ChangedMessageNotYetStoredError extends Error {
  constructor(messageId: string) {
    super(`message ${messageId} is not stored yet; its change is taken after it`);
  }
}

/** A message sent this recently whose change comes first may still have its callback on the way. */
const CALLBACK_LAG_MS = 60_000;
const SHORT_KIND: Record<MessageChange['kind'], string> = { edited: 'e', deleted: 'd', 'reaction-added': 'ra', 'reaction-removed': 'rr' };

/**
 * Takes CometChat's app webhook events (edits, deletes, reactions) into the conversations they belong to: each is stored
 * as a callback of its message with a `change`, in that message's conversation's line, deduplicated by a key made of the
 * trigger, the message and what changed (CometChat documents no event id). Changes made by the bot itself (its streamed
 * answers' edits, its deletes), and changes to messages the bot never took, are ignored.
 */
@Injectable()
export class AppEventsInbox {
  constructor(
    private readonly bots: ServedBots,
    private readonly events: EventsProducer,
    private readonly answers: AnswerRecords,
  ) {}

  async receive(body: AppWebhookDto): Promise<AppEventResult> {
    if (!isAppEventTrigger(body.trigger)) return { status: 'ignored', reason: 'unsupported-trigger' };
    const kind = APP_EVENT_TRIGGERS[body.trigger];
    const bots = this.botsOf(body.appId);
    const reaction = kind === 'reaction-added' || kind === 'reaction-removed' ? validated(ReactionEventData, body.data).reaction : undefined;
    const message = reaction ? (body.data as unknown as ReactionEventData).message : validated(MessageEventData, body.data).message;
    const id = reaction?.messageId ?? message!.id;
    const actor = reaction?.uid ?? message!.sender;

    // The conversations it may belong to: a one-to-one chat's bot; in a group, each bot of the app (several may have
    // taken the message, each in a conversation of its own, as they take its callback).
    const candidates = message ? this.conversationsOf(message, bots) : await unlessUnavailable(this.answeredBy(bots, id));
    if (candidates.length === 0) return { status: 'ignored', id, reason: message ? 'other-conversation' : 'unknown-message' };
    if (candidates.some(({ bot }) => bot.uid === actor.toLowerCase())) return { status: 'ignored', id, reason: 'own-change' };

    const key = `${id}.${SHORT_KIND[kind]}.${digest(kind, message, reaction)}`;
    const change: MessageChange = {
      kind,
      key,
      ...(message && message.sender.toLowerCase() !== actor.toLowerCase() ? { messageSender: message.sender } : {}),
      ...(reaction ? { reaction: { emoji: reaction.reaction, by: { uid: reaction.uid, ...nameOf(reaction.reactedBy) } } } : {}),
      appEvent: body,
    };
    const outcomes: Array<'accepted' | 'duplicate'> = [];
    for (const { bot, peer } of candidates) {
      // Stored as a callback of the message, sent by whoever changed it, so that it joins the conversation's line.
      const base: CallbackMessage = message ?? { id, sender: actor, receiver: bot.uid, receiverType: peer.type, category: 'message', type: 'text' };
      const stored: CometChatCallback = {
        trigger: body.trigger,
        ...(this.bots.several ? { bot: bot.uid } : {}),
        ...(body.appId !== undefined ? { appId: body.appId } : {}),
        data: { ...base, id, sender: actor, receiver: peer.type === 'group' ? peer.id : bot.uid, receiverType: peer.type },
        change,
      };
      const conversation = bot.conversationOf(stored);
      if (await unlessUnavailable(this.known(conversation, id, message, kind))) outcomes.push(await this.events.store(stored, conversation));
    }
    if (outcomes.length > 0) return { status: outcomes.includes('accepted') ? 'accepted' : 'duplicate', id };
    if (!reaction && typeof message?.sentAt === 'number' && Date.now() - message.sentAt * 1000 < CALLBACK_LAG_MS) {
      throw new ChangedMessageNotYetStoredError(id);
    }
    return { status: 'ignored', id, reason: 'unknown-message' };
  }

  /** The served bots of the app the event is from; with one app, an event naming none is its. */
  private botsOf(appId: string | undefined): ServedBot[] {
    const apps = new Set(this.bots.all.map((bot) => bot.app.appId));
    if (appId === undefined) {
      if (apps.size > 1) throw new AppEventRefusal(400, 'Invalid app event: appId is required where several apps are served');
      return [...this.bots.all];
    }
    const bots = this.bots.all.filter((bot) => bot.app.appId === appId);
    if (bots.length === 0) throw new AppEventRefusal(404, 'No bot of this app is served here');
    return bots;
  }

  /** The conversations the message may be in: a one-to-one chat with one of the app's bots, or a group (each bot's). */
  private conversationsOf(message: CallbackMessage, bots: ServedBot[]): Array<{ bot: ServedBot; peer: { type: 'user' | 'group'; id: string } }> {
    if (message.receiverType === 'group') return bots.map((bot) => ({ bot, peer: { type: 'group', id: message.receiver } }));
    const sender = message.sender.toLowerCase();
    const receiver = message.receiver.toLowerCase();
    const bot = bots.find((candidate) => candidate.uid === receiver) ?? bots.find((candidate) => candidate.uid === sender);
    return bot ? [{ bot, peer: { type: 'user', id: bot.uid === receiver ? message.sender : message.receiver } }] : [];
  }

  /** A reaction that came without its message: the bot answer it is on, when it is one. */
  private async answeredBy(bots: ServedBot[], messageId: string) {
    for (const bot of bots) {
      const answer = await this.answers.answerOf(this.bots.several ? bot.uid : undefined, messageId);
      if (answer) return [{ bot, peer: { type: answer.conversation.type, id: answer.conversation.id } }];
    }
    return [];
  }

  /**
   * The bot took the message (it is stored, within a day) or answered it (within a week); for a reaction, the message may
   * also be one of the bot's answers (a reaction that came without its message was found by that already).
   */
  private async known(conversation: Conversation, id: string, message: CallbackMessage | undefined, kind: MessageChange['kind']): Promise<boolean> {
    if (kind === 'reaction-added' || kind === 'reaction-removed') {
      if (!message || (await this.answers.answerOf(conversation.bot, id)) !== null) return true;
    }
    return (await this.events.stored(conversation, id)) || (await this.answers.answerTo(conversation, id)) !== null;
  }
}

/** A lookup Redis could not answer is a store that could not be made: 503, and CometChat delivers the event again. */
const unlessUnavailable = <T>(lookup: Promise<T>): Promise<T> =>
  lookup.catch((error: unknown) => {
    throw new MessageNotStoredError(error);
  });

/** The data refused with every bad field named, or the typed data. */
function validated<T extends object>(dto: new () => T, data: Record<string, unknown>): T {
  const errors = validateSync(plainToInstance(dto, data), { stopAtFirstError: true, forbidUnknownValues: false });
  if (errors.length > 0) throw new AppEventRefusal(400, `Invalid app event: ${describeValidationErrors(errors, 'data').join('; ')}`);
  return data as T;
}

/** What changed, as a short digest: an edit's time (or its text), a reaction's id, emoji, reactor and time. */
function digest(kind: MessageChange['kind'], message: CallbackMessage | undefined, reaction: ReactionEventData['reaction'] | undefined): string {
  const what = reaction
    ? [kind, reaction.id, reaction.reaction, reaction.uid, reaction.reactedAt]
    : [kind, message?.editedAt ?? message?.deletedAt ?? message?.updatedAt, kind === 'edited' ? message?.data?.text : ''];
  return createHash('sha1').update(JSON.stringify(what)).digest('hex').slice(0, 12);
}

const nameOf = (user: unknown): { name?: string } => {
  const name = (user as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? { name } : {};
};
