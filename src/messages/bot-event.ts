/** Where a reply goes: the sender for one-to-one chats, the group for group chats. */
export interface Conversation {
  type: 'user' | 'group';
  /** The peer user's UID (one-to-one) or the group's GUID. */
  id: string;
  /**
   * The bot's UID (lowercased) in a deployment of several bots, where a conversation is one bot's: the same group with
   * two bots is two conversations. Absent with one bot, whose keys are as they always were.
   */
  bot?: string;
}

/** One name per conversation, for keys and logs: `user-ana`, or `support-bot/user-ana` when it is one bot's of several. */
export const conversationKey = (c: Conversation) => (c.bot === undefined ? `${c.type}-${c.id}` : `${c.bot}/${c.type}-${c.id}`);

export interface Attachment {
  url: string;
  name?: string;
  mimeType?: string;
  extension?: string;
  size?: number;
}

/** A CometChat callback normalised for responders. */
export interface BotEvent {
  /** CometChat's message id (a string of digits). */
  id: string;
  bot: string;
  /** Sent by another bot of this deployment: only responders that declare `answersBots` take it. */
  fromBot?: boolean;
  sender: { uid: string; name?: string };
  conversation: Conversation;
  category: string;
  type: string;
  /** The text with the bot's mention tokens removed and whitespace trimmed; absent for non-text messages. */
  text?: string;
  mentionsBot: boolean;
  parentId?: string;
  attachments: Attachment[];
  metadata?: Record<string, unknown>;
  customData?: Record<string, unknown>;
  sentAt?: number;
  /** When the service stored the callback (ms since the epoch). */
  receivedAt: number;
  /** The callback exactly as CometChat sent it. */
  raw: Record<string, unknown>;
}
