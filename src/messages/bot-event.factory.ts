import type { Attachment, BotEvent, Conversation } from './bot-event';
import type { CometChatCallback } from './cometchat-callback';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Builds the function that removes `<@uid:BOT>` tokens (with the spaces around them) and trims the ends; the
 * rest of the text, line breaks included, is left as written. CometChat lowercases UIDs: match any case.
 */
export function mentionStripper(botUid: string): (text: string) => string {
  const token = new RegExp(`[ \\t]*<@uid:${escapeRegExp(botUid)}>[ \\t]*`, 'gi');
  return (text) => text.replace(token, ' ').trim();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const attachmentsOf = (list: unknown[] | undefined): Attachment[] =>
  (list ?? []).filter((a): a is Attachment => isObject(a) && typeof a.url === 'string');

/** Whether the message mentions the bot: in `data.mentions` or as a `<@uid:BOT>` token in the text. */
export function mentionsBot(callback: CometChatCallback, botUid: string): boolean {
  const content = callback.data.data ?? {};
  return (
    (isObject(content.mentions) && Object.keys(content.mentions).some((uid) => uid.toLowerCase() === botUid)) ||
    (typeof content.text === 'string' && content.text.toLowerCase().includes(`<@uid:${botUid}>`))
  );
}

/**
 * One-to-one replies go back to the sender (the receiver is the bot itself); group replies to the group. `bot`: the
 * bot whose conversation it is, in a deployment of several (see Conversation).
 */
export function conversationOf(callback: CometChatCallback, bot?: string): Conversation {
  const message = callback.data;
  const conversation: Conversation =
    message.receiverType === 'group' ? { type: 'group', id: message.receiver } : { type: 'user', id: message.sender };
  if (bot !== undefined) conversation.bot = bot;
  return conversation;
}

/** How the event is read beyond the callback: the conversation's bot (several bots), a message of another bot. */
export interface EventReading {
  /** The bot part of the conversation (Conversation.bot), in a deployment of several bots. */
  conversationBot?: string;
  /** The sender is another bot of this deployment. */
  fromBot?: boolean;
}

/** Normalises a validated callback into the event responders see. */
export function toBotEvent(
  callback: CometChatCallback,
  botUid: string,
  stripMentions: (text: string) => string,
  receivedAt = Date.now(),
  reading: EventReading = {},
): BotEvent {
  const message = callback.data;
  const content = message.data ?? {};
  const senderEntity = (content as { entities?: { sender?: { entity?: { name?: unknown } } } }).entities?.sender?.entity;
  return {
    id: message.id,
    kind: callback.change?.kind ?? 'message',
    ...(callback.change?.reaction ? { reaction: { ...callback.change.reaction } } : {}),
    bot: callback.bot ?? botUid,
    ...(reading.fromBot ? { fromBot: true } : {}),
    sender: {
      uid: message.sender,
      ...(typeof senderEntity?.name === 'string' ? { name: senderEntity.name } : {}),
    },
    conversation: conversationOf(callback, reading.conversationBot),
    category: message.category,
    type: message.type,
    ...(typeof content.text === 'string' ? { text: stripMentions(content.text) } : {}),
    mentionsBot: mentionsBot(callback, botUid),
    ...(message.parentId ? { parentId: message.parentId } : {}),
    attachments: attachmentsOf(content.attachments),
    ...(isObject(content.metadata) ? { metadata: content.metadata } : {}),
    ...(isObject(content.customData) ? { customData: content.customData } : {}),
    ...(typeof message.sentAt === 'number' ? { sentAt: message.sentAt } : {}),
    receivedAt,
    raw: callback,
  };
}
