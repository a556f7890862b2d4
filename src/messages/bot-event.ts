/** Where a reply goes: the sender for one-to-one chats, the group for group chats. */
export interface Conversation {
  type: 'user' | 'group';
  /** The peer user's UID (one-to-one) or the group's GUID. */
  id: string;
}

/** One name per conversation, for keys and logs. */
export const conversationKey = (c: Conversation) => `${c.type}-${c.id}`;

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
